using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Tollgate.Accounts;
using Tollgate.Hosting;
using Tollgate.Storage;
using Tollgate.Operations;

namespace Tollgate.Budgets;

/// <summary>
/// Master keys (api.md "Master keys"): a platform makes API keys for its own end users and shows each
/// of them their headroom. A master key works only on <c>/v1/master</c> and sees only its own org;
/// keys it makes belong to the member who made the master key, and their limits are not bounded by
/// that member's own limits.
/// </summary>
internal static class MasterKeysApi
{
    /// <summary>Maps <c>/orgs/{orgId}/master-keys</c> and <c>/v1/master/*</c>.</summary>
    public static IEndpointRouteBuilder MapMasterKeysApi(this IEndpointRouteBuilder app)
    {
        var org = app.MapOrgGroup("/master-keys");
        org.MapPost("", CreateAsync)
            .Takes<MasterKeyRequest>(required: false).Answers<MasterKeyCreated>(StatusCodes.Status201Created);
        org.MapGet("", ListAsync)
            .Answers<Page<MasterKeyResponse>>();
        org.MapDelete("/{masterKeyId}", RevokeAsync)
            .AnswersNoContent();

        var master = app.MapGroup("/v1/master");
        master.MapGet("/projects", ListProjectsAsync)
            .Answers<Page<MasterProjectResponse>>().Refuses(401, 403);
        master.MapPost("/projects", CreateProjectAsync)
            .Takes<MasterProjectRequest>().Answers<MasterProjectResponse>(StatusCodes.Status201Created).Refuses(401, 403);
        master.MapPost("/keys", CreateKeyAsync)
            .Takes<MasterKeyKeyRequest>().Answers<MasterKeyCreatedResponse>(StatusCodes.Status201Created).Refuses(401, 403, 404);
        master.MapGet("/keys", ListKeysAsync)
            .Answers<Page<KeyUsageResponse>>().Refuses(401, 403);
        master.MapGet("/keys/{keyId}", GetKeyAsync)
            .Answers<KeyUsageResponse>().Refuses(401, 403, 404);
        master.MapPatch("/keys/{keyId}", UpdateKeyAsync)
            .Takes<MasterKeyKeyRequest>().Answers<KeyUsageResponse>().Refuses(401, 403, 404);
        master.MapDelete("/keys/{keyId}", DeleteKeyAsync)
            .AnswersNoContent().Refuses(401, 403, 404);
        return app;
    }

    private sealed record MasterIdentity(string Id, string OrgId, string MemberId);

    private static async Task<IResult?> ManageGuardAsync(OrgMember member, OrgStore orgs, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageMasterKeys))
        {
            return AccountProblems.Forbidden("Only owners and admins can manage master keys.");
        }

        return PlanPolicy.Require((await orgs.FindOrgAsync(member.OrgId, ct))?.Plan ?? "", PlanPolicy.Feature.MasterKeys);
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, OrgMember member, Tollgate.Audit.RequestAudit audit, OrgStore orgs, Database db, TimeProvider time, CancellationToken ct)
    {
        if (await ManageGuardAsync(member, orgs, ct) is { } denied)
        {
            return denied;
        }

        var name = "master key";
        var (body, badBody) = await Tollgate.Operations.JsonBody.ReadObjectAsync(request, ct, optional: true);
        if (badBody is not null)
        {
            return badBody;
        }

        using (body)
        {
            if (body!.RootElement.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(n.GetString()))
            {
                name = n.GetString()!.Trim();
            }
        }

        var secret = Secrets.MasterKeyPrefix + RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", Secrets.RandomLength);
        var id = Ids.New("mk", time);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(
            "INSERT INTO master_keys (id, org_id, member_id, name, prefix, key_hash, created_at, revoked_at) VALUES (@id, @org, @member, @name, @prefix, @hash, @now, NULL)",
            new { id, org = member.OrgId, member = member.MemberId, name, prefix = Secrets.DisplayPrefix(secret), hash = Secrets.Hash(secret), now });
        await audit.RecordAsync("masterkey.create", new Tollgate.Audit.AuditTarget("master_key", id), null, new { name, prefix = Secrets.DisplayPrefix(secret) }, ct);
        return TypedResults.Created($"/orgs/{member.OrgId}/master-keys/{id}", new MasterKeyCreated(id, secret, Secrets.DisplayPrefix(secret), name, ApiTime.FromUnixMs(now)));
    }

    private static async Task<IResult> ListAsync(OrgMember member, OrgStore orgs, Database db, CancellationToken ct)
    {
        if (await ManageGuardAsync(member, orgs, ct) is { } denied)
        {
            return denied;
        }

        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<(string Id, string Name, string Prefix, long CreatedAt, long? RevokedAt)>(
            "SELECT id, name, prefix, created_at, revoked_at FROM master_keys WHERE org_id = @org ORDER BY id", new { org = member.OrgId });
        return TypedResults.Ok(new Page<MasterKeyResponse>(
            [.. rows.Select(r => new MasterKeyResponse(r.Id, r.Name, r.Prefix, ApiTime.FromUnixMs(r.CreatedAt), ApiTime.FromUnixMs(r.RevokedAt)))], null));
    }

    private static async Task<IResult> RevokeAsync(string masterKeyId, OrgMember member, Tollgate.Audit.RequestAudit audit, OrgStore orgs, Database db, TimeProvider time, CancellationToken ct)
    {
        if (await ManageGuardAsync(member, orgs, ct) is { } denied)
        {
            return denied;
        }

        await using var connection = await db.OpenAsync(ct);
        var changed = await connection.ExecuteAsync(
            "UPDATE master_keys SET revoked_at = @now WHERE id = @masterKeyId AND org_id = @org AND revoked_at IS NULL",
            new { masterKeyId, org = member.OrgId, now = time.GetUtcNow().ToUnixTimeMilliseconds() });
        if (changed == 0)
        {
            return AccountProblems.NotFound("Master key not found.");
        }

        await audit.RecordAsync("masterkey.revoke", new Tollgate.Audit.AuditTarget("master_key", masterKeyId), null, null, ct);
        return Results.NoContent();
    }

    /// <summary>The master key of the request, or the 401/403 that refuses it.</summary>
    private static async Task<(MasterIdentity? Identity, IResult? Problem)> AuthenticateAsync(HttpRequest request, Database db, OrgStore orgs, CancellationToken ct)
    {
        var header = request.Headers.Authorization.ToString();
        var secret = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        if (!secret.StartsWith(Secrets.MasterKeyPrefix, StringComparison.Ordinal))
        {
            return (null, AccountProblems.Unauthorized(secret.Length == 0
                ? "Missing master key. Send it as 'Authorization: Bearer <master key>'."
                : "This credential is not a master key; /v1/master accepts master keys only."));
        }

        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Id, string OrgId, string MemberId, string KeyHash, long? RevokedAt)>(
            "SELECT id, org_id, member_id, key_hash, revoked_at FROM master_keys WHERE key_hash = @hash", new { hash = Secrets.Hash(secret) });
        if (row.Id is null || row.RevokedAt is not null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.KeyHash), Encoding.ASCII.GetBytes(Secrets.Hash(secret))))
        {
            return (null, AccountProblems.Unauthorized(row.Id is null ? "Invalid master key." : "Master key has been revoked."));
        }

        if (PlanPolicy.Require((await orgs.FindOrgAsync(row.OrgId, ct))?.Plan ?? "", PlanPolicy.Feature.MasterKeys) is { } planProblem)
        {
            return (null, planProblem);
        }

        return (new MasterIdentity(row.Id, row.OrgId, row.MemberId), null);
    }

    private static async Task<IResult> ListProjectsAsync(HttpRequest request, Database db, OrgStore orgs, CancellationToken ct)
    {
        var (master, problem) = await AuthenticateAsync(request, db, orgs, ct);
        if (master is null)
        {
            return problem!;
        }

        var projects = await orgs.ListProjectsAsync(master.OrgId, new Paging(Paging.MaxLimit, null), ct);
        return TypedResults.Ok(new Page<MasterProjectResponse>([.. projects.Select(p => new MasterProjectResponse(p.Id, p.Name, ApiTime.FromUnixMs(p.CreatedAt)))], null));
    }

    private static async Task<IResult> CreateProjectAsync(HttpRequest request, Database db, OrgStore orgs, CancellationToken ct)
    {
        var (master, problem) = await AuthenticateAsync(request, db, orgs, ct);
        if (master is null)
        {
            return problem!;
        }

        var (parsedBody, badBody) = await Tollgate.Operations.JsonBody.ReadObjectAsync(request, ct);
        if (parsedBody is null)
        {
            return badBody!;
        }

        using var body = parsedBody;
        if (!body.RootElement.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(n.GetString()))
        {
            return AccountProblems.Validation("name", "name is required.");
        }

        var project = await orgs.CreateProjectAsync(master.OrgId, n.GetString()!.Trim(), ct);
        return TypedResults.Created($"/v1/master/projects/{project.Id}", new MasterProjectResponse(project.Id, project.Name, ApiTime.FromUnixMs(project.CreatedAt)));
    }

    /// <summary>The master API's flat limits → a key budget document; null with an error for bad input.</summary>
    private static (BudgetDocument? Document, string? Field, string? Error) ToDocument(JsonElement root, BudgetConfig? current)
    {
        string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        bool Has(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;
        long? Amount(string name, out bool bad)
        {
            bad = false;
            if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            bad = !Money.TryRead(v, out var pico, out _);
            return bad ? null : pico;
        }

        var spend = current?.Spend;
        if (Has("budgetType") || Has("usageLimit"))
        {
            var type = Text("budgetType") ?? (Has("usageLimit") ? "fixed" : null);
            var limit = Amount("usageLimit", out var badLimit);
            if (badLimit)
            {
                return (null, "usageLimit", "usageLimit must be a non-negative decimal amount in USD.");
            }

            spend = type switch
            {
                "unlimited" => new SpendBudget(SpendType.Unlimited, 0, null),
                "fixed" or "monthly" when limit is not null => new SpendBudget(type == "fixed" ? SpendType.Fixed : SpendType.Monthly, limit.Value, null),
                "fixed" or "monthly" => null,
                _ => throw new FormatException(),
            };
            if (spend is null)
            {
                return (null, "usageLimit", $"usageLimit is required with budgetType '{type}'.");
            }
        }

        var period = current?.Period;
        if (Has("periodUsageLimit") || Has("periodWindow"))
        {
            var limit = Amount("periodUsageLimit", out var badPeriod);
            if (badPeriod || limit is null)
            {
                return (null, "periodUsageLimit", "periodUsageLimit must be a non-negative decimal amount in USD.");
            }

            if (!BudgetWindows.TryParse(Text("periodWindow"), out var window))
            {
                return (null, "periodWindow", "periodWindow must be hour, day, week or month.");
            }

            period = new PeriodBudget(false, limit.Value, window);
        }

        return (new BudgetDocument(spend, period, null), null, null);
    }

    private static async Task<IResult> CreateKeyAsync(
        HttpRequest request, Database db, OrgStore orgs, KeyStore keys, BudgetStore store, BudgetEngine engine, TimeProvider time, CancellationToken ct)
    {
        var (master, problem) = await AuthenticateAsync(request, db, orgs, ct);
        if (master is null)
        {
            return problem!;
        }

        var (parsedBody, badBody) = await Tollgate.Operations.JsonBody.ReadObjectAsync(request, ct);
        if (parsedBody is null)
        {
            return badBody!;
        }

        using var body = parsedBody;
        var root = body.RootElement;
        var projectId = root.TryGetProperty("projectId", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        var name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(n.GetString()) ? n.GetString()!.Trim() : null;
        if (projectId is null || name is null)
        {
            return AccountProblems.Validation(projectId is null ? "projectId" : "name", projectId is null ? "projectId is required." : "name is required.");
        }

        (BudgetDocument? Document, string? Field, string? Error) parsed;
        try
        {
            parsed = ToDocument(root, null);
        }
        catch (FormatException)
        {
            return AccountProblems.Validation("budgetType", "budgetType must be unlimited, fixed or monthly.");
        }

        if (parsed.Document is null)
        {
            return AccountProblems.Validation(parsed.Field!, parsed.Error!);
        }

        if (await orgs.FindProjectAsync(master.OrgId, projectId, ct) is null)
        {
            return AccountProblems.NotFound(ProjectsApi.NotFoundMessage);
        }

        var (key, secret) = await keys.CreateAsync(master.OrgId, projectId, master.MemberId, name, null, null, ct);
        await store.PutAsync(BudgetScope.Key, key!.Id, master.OrgId, parsed.Document, time.GetUtcNow(), ct);
        engine.InvalidateMember(master.MemberId);
        var usage = await UsageAsync(engine, master.MemberId, key.Id, key.Name, ct);
        return TypedResults.Created($"/v1/master/keys/{key.Id}", MasterKeyCreatedResponse.From(usage!, secret!, projectId));
    }

    private static async Task<KeyUsageResponse?> UsageAsync(BudgetEngine engine, string memberId, string keyId, string name, CancellationToken ct) =>
        await engine.ViewKeyAsync(memberId, keyId, ct) is { } view ? BudgetJson.KeyUsage(keyId, name, view) : null;

    private static async Task<IResult> ListKeysAsync(HttpRequest request, Database db, OrgStore orgs, KeyStore keys, BudgetEngine engine, CancellationToken ct)
    {
        var (master, problem) = await AuthenticateAsync(request, db, orgs, ct);
        if (master is null)
        {
            return problem!;
        }

        var rows = await keys.ListAsync(master.OrgId, new KeyStore.KeyFilter(null, null, null), new Paging(Paging.MaxLimit, null), ct);
        var data = new List<KeyUsageResponse>();
        foreach (var key in rows.Where(k => k.Status != KeyStore.Deleted))
        {
            if (await UsageAsync(engine, key.MemberId, key.Id, key.Name, ct) is { } usage)
            {
                data.Add(usage);
            }
        }

        return TypedResults.Ok(new Page<KeyUsageResponse>(data, null));
    }

    private static async Task<IResult> GetKeyAsync(string keyId, HttpRequest request, Database db, OrgStore orgs, KeyStore keys, BudgetEngine engine, CancellationToken ct)
    {
        var (master, problem) = await AuthenticateAsync(request, db, orgs, ct);
        if (master is null)
        {
            return problem!;
        }

        var key = await keys.FindAsync(master.OrgId, keyId, ct);
        return key is null || key.Status == KeyStore.Deleted
            ? AccountProblems.NotFound(KeysApi.NotFoundMessage)
            : Results.Ok(await UsageAsync(engine, key.MemberId, key.Id, key.Name, ct));
    }

    private static async Task<IResult> UpdateKeyAsync(
        string keyId, HttpRequest request, Database db, OrgStore orgs, KeyStore keys, BudgetStore store, BudgetEngine engine, TimeProvider time, CancellationToken ct)
    {
        var (master, problem) = await AuthenticateAsync(request, db, orgs, ct);
        if (master is null)
        {
            return problem!;
        }

        var key = await keys.FindAsync(master.OrgId, keyId, ct);
        if (key is null || key.Status == KeyStore.Deleted)
        {
            return AccountProblems.NotFound(KeysApi.NotFoundMessage);
        }

        var (parsedBody, badBody) = await Tollgate.Operations.JsonBody.ReadObjectAsync(request, ct);
        if (parsedBody is null)
        {
            return badBody!;
        }

        using var body = parsedBody;
        var root = body.RootElement;
        (BudgetDocument? Document, string? Field, string? Error) parsed;
        try
        {
            parsed = ToDocument(root, await store.GetAsync(BudgetScope.Key, keyId, ct));
        }
        catch (FormatException)
        {
            return AccountProblems.Validation("budgetType", "budgetType must be unlimited, fixed or monthly.");
        }

        if (parsed.Document is null)
        {
            return AccountProblems.Validation(parsed.Field!, parsed.Error!);
        }

        var name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(n.GetString()) ? n.GetString()!.Trim() : key.Name;
        var status = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : key.Status;
        if (status is not (KeyStore.Active or KeyStore.Disabled))
        {
            return AccountProblems.Validation("status", "status must be active or disabled.");
        }

        await keys.UpdateAsync(master.OrgId, keyId, name, status, key.ExpiresAt, ct);
        await store.PutAsync(BudgetScope.Key, keyId, master.OrgId, parsed.Document, time.GetUtcNow(), ct);
        engine.InvalidateMember(key.MemberId);
        return Results.Ok(await UsageAsync(engine, key.MemberId, key.Id, name, ct));
    }

    private static async Task<IResult> DeleteKeyAsync(string keyId, HttpRequest request, Database db, OrgStore orgs, KeyStore keys, CancellationToken ct)
    {
        var (master, problem) = await AuthenticateAsync(request, db, orgs, ct);
        if (master is null)
        {
            return problem!;
        }

        return await keys.DeleteAsync(master.OrgId, keyId, ct) ? Results.NoContent() : AccountProblems.NotFound(KeysApi.NotFoundMessage);
    }
}
