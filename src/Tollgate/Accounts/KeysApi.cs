using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Audit;

namespace Tollgate.Accounts;

/// <summary>
/// Gateway API keys of an org. The secret appears only in the answers to create and rotate; lists
/// and reads show its <c>prefix</c>. A key belongs to the member who created it. Owners, admins and
/// billing members see every key; developers and basic members see only their own keys in projects
/// granted to them (any other key answers 404). Who may change which key is <see cref="RolePolicy"/>'s.
/// </summary>
internal static class KeysApi
{
    /// <summary>404 detail for a key the caller cannot see.</summary>
    public const string NotFoundMessage = "API key not found.";

    private const string DeletedMessage = "API key has been deleted; it can no longer be changed.";

    private const string ManageForbiddenMessage = "Your role may not create or change this API key.";

    /// <summary>400 with the exact wording of budgets.md for a member at their max active keys.</summary>
    private static ProblemHttpResult KeyLimitReached(int limit) => TypedResults.Problem(
        $"You have reached your limit of {limit} active API keys set by an organization admin.",
        statusCode: StatusCodes.Status400BadRequest, title: "Active API key limit reached");

    /// <summary>Maps <c>/orgs/{orgId}/keys</c>.</summary>
    public static void Map(RouteGroupBuilder keys)
    {
        keys.MapPost("", CreateAsync);
        keys.MapGet("", ListAsync);
        keys.MapGet("/{keyId}", GetAsync);
        keys.MapPatch("/{keyId}", UpdateAsync);
        keys.MapDelete("/{keyId}", DeleteAsync);
        keys.MapPost("/{keyId}/rotate", RotateAsync);
    }

    private static async Task<Results<Created<KeyResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateKeyRequest body, OrgMember member, RequestAudit audit, OrgStore orgs, KeyStore keys, Tollgate.Budgets.BudgetEngine budgets,
        Tollgate.Budgets.BudgetStore budgetStore, TimeProvider time, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageAllKeys) && !RolePolicy.Can(member.Role, Capability.ManageOwnKeys))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var errors = new FieldErrors();
        var projectId = errors.Required("projectId", body.ProjectId);
        var name = errors.Name("name", body.Name);
        long? expiresAt = null;
        if (body.ExpiresAt is not null)
        {
            expiresAt = FutureInstant(errors, body.ExpiresAt, now);
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        // A project of another org, a deleted one or one not granted to the caller is "not found", like every foreign id.
        if (await orgs.FindVisibleProjectAsync(member, projectId!, ct) is null)
        {
            return AccountProblems.NotFound(ProjectsApi.NotFoundMessage);
        }

        // A key starts with no caps unless the request gives them (budgets.md); they are checked before the key exists.
        Tollgate.Budgets.BudgetDocument? keyBudget = null;
        if (body.Budget.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            var (document, budgetErrors) = Tollgate.Budgets.BudgetDocument.Parse(body.Budget, keyBudget: true);
            if (document is null)
            {
                return AccountProblems.Validation(budgetErrors.ToDictionary(e => e.Key.Length == 0 ? "budget" : "budget." + e.Key, e => e.Value));
            }

            if (await budgets.ViewMemberAsync(member.MemberId, ct) is { } owner && Tollgate.Budgets.BudgetsApi.KeyWithinMember(document, owner) is { } tooHigh)
            {
                return AccountProblems.Validation("budget." + tooHigh.Field, tooHigh.Message);
            }

            keyBudget = document;
        }

        var maxKeys = await budgets.MaxActiveKeysAsync(member.MemberId, ct);
        var (key, secret) = await keys.CreateAsync(member.OrgId, projectId!, member.MemberId, name!, expiresAt, maxKeys, ct);
        if (key is null)
        {
            return KeyLimitReached(maxKeys!.Value);
        }

        if (keyBudget is not null)
        {
            await budgetStore.PutAsync(Tollgate.Budgets.BudgetScope.Key, key.Id, member.OrgId, keyBudget, time.GetUtcNow(), ct);
        }

        await audit.RecordAsync("key.create", new AuditTarget("key", key.Id), null, AuditState(key), ct);
        return TypedResults.Created($"/orgs/{member.OrgId}/keys/{key.Id}", ToResponse(key, now, secret));
    }

    private static async Task<Results<Ok<Page<KeyResponse>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        OrgMember member, string? projectId, string? memberId, string? status, string? limit, string? cursor,
        KeyStore keys, OrgStore orgs, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!Paging.TryParse(limit, cursor, out var paging, out var pagingError))
        {
            errors.Add("limit", pagingError!);
        }

        if (!string.IsNullOrEmpty(status) && !KeyStore.Statuses.Contains(status))
        {
            errors.Add("status", $"status must be one of {string.Join(", ", KeyStore.Statuses)}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var ownGrantedOf = RolePolicy.Can(member.Role, Capability.ListAllKeys) ? null : member.MemberId;
        if (ownGrantedOf is not null)
        {
            // Filtering by a project or member the caller cannot see is fetching it by id: 404, as roles.md says.
            if (!string.IsNullOrEmpty(memberId) && memberId != member.MemberId)
            {
                return AccountProblems.NotFound(MembersApi.NotFoundMessage);
            }

            if (!string.IsNullOrEmpty(projectId) && await orgs.FindVisibleProjectAsync(member, projectId, ct) is null)
            {
                return AccountProblems.NotFound(ProjectsApi.NotFoundMessage);
            }
        }

        var filter = new KeyStore.KeyFilter(NullIfEmpty(projectId), NullIfEmpty(memberId), NullIfEmpty(status), ownGrantedOf);
        var rows = await keys.ListAsync(member.OrgId, filter, paging, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return TypedResults.Ok(paging.ToPage(rows, r => r.Id, r => ToResponse(r, now)));
    }

    private static async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> GetAsync(
        string keyId, OrgMember member, KeyStore keys, OrgStore orgs, TimeProvider time, CancellationToken ct)
    {
        var key = await FindVisibleAsync(member, keyId, keys, orgs, ct);
        return key is null
            ? AccountProblems.NotFound(NotFoundMessage)
            : TypedResults.Ok(ToResponse(key, time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    private static async Task<Results<Ok<KeyResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string keyId, UpdateKeyRequest body, OrgMember member, RequestAudit audit, OrgStore orgs, KeyStore keys, Tollgate.Budgets.BudgetEngine budgets, TimeProvider time, CancellationToken ct)
    {
        var key = await FindVisibleAsync(member, keyId, keys, orgs, ct);
        if (key is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!MayManage(member, key))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        if (key.Status == KeyStore.Deleted)
        {
            return AccountProblems.Conflict(DeletedMessage);
        }

        // :: Absent fields keep their value; expiresAt: null means "never expires".
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var errors = new FieldErrors();
        var name = body.Name is null ? key.Name : errors.Name("name", body.Name);
        var status = body.Status ?? key.Status;
        if (status is not (KeyStore.Active or KeyStore.Disabled))
        {
            errors.Add("status", "status must be active or disabled.");
        }

        var expiresAt = body.ExpiresAt.ValueKind switch
        {
            JsonValueKind.Undefined => key.ExpiresAt,
            JsonValueKind.Null => null,
            JsonValueKind.String => FutureInstant(errors, body.ExpiresAt.GetString(), now),
            _ => Invalid(errors, "expiresAt", "expiresAt must be an ISO 8601 time or null."),
        };
        if (status == KeyStore.Active && key.Status != KeyStore.Active
            && await orgs.FindProjectAsync(member.OrgId, key.ProjectId, ct) is null)
        {
            errors.Add("status", "The key's project has been deleted; the key cannot be activated.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        // Re-activation counts against the owner's max active keys, like creation.
        var maxKeys = status == KeyStore.Active && key.StatusAt(now) != KeyStore.Active ? await budgets.MaxActiveKeysAsync(key.MemberId, ct) : null;
        var (updated, limitReached) = await keys.UpdateAsync(member.OrgId, keyId, name!, status, expiresAt, key.MemberId, maxKeys, ct);
        if (limitReached)
        {
            return KeyLimitReached(maxKeys!.Value);
        }

        if (updated is not null && AuditState(updated) != AuditState(key))
        {
            await audit.RecordAsync("key.update", new AuditTarget("key", keyId), AuditState(key), AuditState(updated), ct);
        }

        return updated is null ? AccountProblems.NotFound(NotFoundMessage) : TypedResults.Ok(ToResponse(updated, now));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string keyId, OrgMember member, RequestAudit audit, KeyStore keys, OrgStore orgs, CancellationToken ct)
    {
        var key = await FindVisibleAsync(member, keyId, keys, orgs, ct);
        if (key is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!MayManage(member, key))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        // Deleting a deleted key changes nothing and succeeds: DELETE is idempotent.
        if (await keys.DeleteAsync(member.OrgId, keyId, ct))
        {
            await audit.RecordAsync("key.delete", new AuditTarget("key", keyId), AuditState(key), null, ct);
        }

        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> RotateAsync(
        string keyId, OrgMember member, RequestAudit audit, KeyStore keys, OrgStore orgs, TimeProvider time, CancellationToken ct)
    {
        var key = await FindVisibleAsync(member, keyId, keys, orgs, ct);
        if (key is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!MayManage(member, key))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        if (key.Status == KeyStore.Deleted)
        {
            return AccountProblems.Conflict(DeletedMessage);
        }

        var rotated = await keys.RotateAsync(key, ct);
        if (rotated is not { } result)
        {
            return AccountProblems.Conflict("The key changed while it was being rotated; try again.");
        }

        await audit.RecordAsync("key.rotate", new AuditTarget("key", keyId), new { prefix = key.Prefix }, new { prefix = result.Key.Prefix }, ct);

        return TypedResults.Ok(ToResponse(result.Key, time.GetUtcNow().ToUnixTimeMilliseconds(), result.Secret));
    }

    /// <summary>
    /// The key if the caller may see it: every key for roles that list all keys; otherwise only their
    /// own keys in projects granted to them. Null (so 404) for everything else.
    /// </summary>
    private static async Task<KeyStore.KeyRow?> FindVisibleAsync(OrgMember viewer, string keyId, KeyStore keys, OrgStore orgs, CancellationToken ct)
    {
        var key = await keys.FindAsync(viewer.OrgId, keyId, ct);
        if (key is null || RolePolicy.Can(viewer.Role, Capability.ListAllKeys))
        {
            return key;
        }

        return key.MemberId == viewer.MemberId && await orgs.IsGrantedAsync(viewer.MemberId, key.ProjectId, ct) ? key : null;
    }

    /// <summary>Any key for roles that manage all keys; own keys (already known visible, so in a granted project) for developers.</summary>
    private static bool MayManage(OrgMember member, KeyStore.KeyRow key) =>
        RolePolicy.Can(member.Role, Capability.ManageAllKeys)
        || (RolePolicy.Can(member.Role, Capability.ManageOwnKeys) && key.MemberId == member.MemberId);

    /// <summary>What the audit log keeps of a key: never its secret or hash.</summary>
    private static KeyAuditState AuditState(KeyStore.KeyRow key) =>
        new(key.Name, key.ProjectId, key.MemberId, key.Status, ApiTime.FromUnixMs(key.ExpiresAt));

    private sealed record KeyAuditState(string Name, string ProjectId, string MemberId, string Status, string? ExpiresAt);

    private static long? FutureInstant(FieldErrors errors, string? text, long nowMs)
    {
        if (!ApiTime.TryParse(text, out var at))
        {
            return Invalid(errors, "expiresAt", "expiresAt must be an ISO 8601 time with an offset, such as 2026-07-04T00:00:00.000Z.");
        }

        return at > nowMs ? at : Invalid(errors, "expiresAt", "expiresAt must be in the future.");
    }

    private static long? Invalid(FieldErrors errors, string field, string message)
    {
        errors.Add(field, message);
        return null;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static KeyResponse ToResponse(KeyStore.KeyRow key, long nowMs, string? secret = null) =>
        new(key.Id, secret, key.Prefix, key.Name, key.OrgId, key.ProjectId, key.MemberId, key.StatusAt(nowMs),
            ApiTime.FromUnixMs(key.ExpiresAt), ApiTime.FromUnixMs(key.CreatedAt), ApiTime.FromUnixMs(key.UpdatedAt));
}
