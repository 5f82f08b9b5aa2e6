using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Audit;

namespace Tollgate.Accounts;

/// <summary>A key with its secret, which only the answers to create and rotate carry.</summary>
internal sealed record KeyWithSecret(KeyStore.KeyRow Key, string? Secret);

/// <summary>
/// Gateway API keys of an org, for the API and the dashboard alike. The secret appears only in the
/// answers to create and rotate. A key belongs to the member who created it. Owners, admins and
/// billing members see every key; developers and basic members see only their own keys in projects
/// granted to them (any other key is "not found"). Who may change which key is <see cref="RolePolicy"/>'s.
/// </summary>
internal sealed class KeyService(OrgStore orgs, KeyStore keys, Tollgate.Budgets.BudgetEngine budgets, Tollgate.Budgets.BudgetStore budgetStore, TimeProvider time)
{
    /// <summary>404 detail for a key the caller cannot see.</summary>
    public const string NotFoundMessage = "API key not found.";

    private const string DeletedMessage = "API key has been deleted; it can no longer be changed.";

    private const string ManageForbiddenMessage = "Your role may not create or change this API key.";

    /// <summary>400 with the exact wording of budgets.md for a member at their max active keys.</summary>
    private static ProblemHttpResult KeyLimitReached(int limit) => TypedResults.Problem(
        $"You have reached your limit of {limit} active API keys set by an organization admin.",
        statusCode: StatusCodes.Status400BadRequest, title: "Active API key limit reached");

    /// <summary>Creates a key for the caller in a project they may see; the secret is in the answer only.</summary>
    public async Task<Outcome<KeyWithSecret>> CreateAsync(OrgMember member, RequestAudit audit, CreateKeyRequest body, CancellationToken ct)
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
            return AccountProblems.NotFound(ProjectService.NotFoundMessage);
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

            if (await budgets.ViewMemberAsync(member.MemberId, ct) is { } owner && Tollgate.Budgets.BudgetService.KeyWithinMember(document, owner) is { } tooHigh)
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
        return new KeyWithSecret(key, secret);
    }

    /// <summary>The keys the caller may list (all for owner, admin, billing; otherwise own keys in granted projects).</summary>
    public async Task<Outcome<(IReadOnlyList<KeyStore.KeyRow> Rows, Paging Paging)>> ListAsync(
        OrgMember member, string? projectId, string? memberId, string? status, string? limit, string? cursor, CancellationToken ct)
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
                return AccountProblems.NotFound(ProjectService.NotFoundMessage);
            }
        }

        var filter = new KeyStore.KeyFilter(NullIfEmpty(projectId), NullIfEmpty(memberId), NullIfEmpty(status), ownGrantedOf);
        return (await keys.ListAsync(member.OrgId, filter, paging, ct), paging);
    }

    /// <summary>A key the caller may see.</summary>
    public async Task<Outcome<KeyStore.KeyRow>> GetAsync(OrgMember member, string keyId, CancellationToken ct) =>
        await FindVisibleAsync(member, keyId, ct) is { } key ? key : AccountProblems.NotFound(NotFoundMessage);

    /// <summary>Renames, disables, enables or re-dates a key; absent fields keep their value.</summary>
    public async Task<Outcome<KeyStore.KeyRow>> UpdateAsync(OrgMember member, RequestAudit audit, string keyId, UpdateKeyRequest body, CancellationToken ct)
    {
        var key = await FindVisibleAsync(member, keyId, ct);
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

        return updated is null ? AccountProblems.NotFound(NotFoundMessage) : updated;
    }

    /// <summary>Deletes a key (idempotent).</summary>
    public async Task<Outcome<Done>> DeleteAsync(OrgMember member, RequestAudit audit, string keyId, CancellationToken ct)
    {
        var key = await FindVisibleAsync(member, keyId, ct);
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

        return Done.Value;
    }

    /// <summary>Replaces a key's secret; the new secret is in the answer only.</summary>
    public async Task<Outcome<KeyWithSecret>> RotateAsync(OrgMember member, RequestAudit audit, string keyId, CancellationToken ct)
    {
        var key = await FindVisibleAsync(member, keyId, ct);
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

        return new KeyWithSecret(result.Key, result.Secret);
    }

    /// <summary>
    /// The key if the caller may see it: every key for roles that list all keys; otherwise only their
    /// own keys in projects granted to them. Null (so 404) for everything else.
    /// </summary>
    public async Task<KeyStore.KeyRow?> FindVisibleAsync(OrgMember viewer, string keyId, CancellationToken ct)
    {
        var key = await keys.FindAsync(viewer.OrgId, keyId, ct);
        if (key is null || RolePolicy.Can(viewer.Role, Capability.ListAllKeys))
        {
            return key;
        }

        return key.MemberId == viewer.MemberId && await orgs.IsGrantedAsync(viewer.MemberId, key.ProjectId, ct) ? key : null;
    }

    /// <summary>Any key for roles that manage all keys; own keys (already known visible, so in a granted project) for developers.</summary>
    public static bool MayManage(OrgMember member, KeyStore.KeyRow key) =>
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

}
