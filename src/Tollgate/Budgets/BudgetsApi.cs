using System.Globalization;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Accounts;
using Tollgate.Storage;

namespace Tollgate.Budgets;

/// <summary>
/// Budget management (api.md "Budgets", "API keys"): default developer limits, member budgets, key
/// budgets, the Budgets page and key usage documents. Every number shown comes from the same engine
/// state that admission enforces.
/// </summary>
internal static class BudgetsApi
{
    private const string MemberNotFound = "Member not found.";

    /// <summary>Maps the budget endpoints under <c>/orgs/{orgId}</c>.</summary>
    public static IEndpointRouteBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var org = app.MapOrgGroup("");
        org.MapGet("/default-developer-limits", GetDefaultsAsync);
        org.MapPut("/default-developer-limits", PutDefaultsAsync);
        org.MapGet("/members/me/budget", (OrgMember member, BudgetEngine engine, Database db, TimeProvider time, CancellationToken ct) =>
            MemberBudgetAsync(member, member.MemberId, engine, db, time, ct));
        org.MapGet("/members/{memberId}/budget", GetMemberBudgetAsync);
        org.MapPut("/members/{memberId}/budget", PutMemberBudgetAsync);
        org.MapGet("/budgets", ListBudgetsAsync);
        org.MapPut("/keys/{keyId}/budget", PutKeyBudgetAsync);
        org.MapGet("/keys/{keyId}/usage", GetKeyUsageAsync);
        return app;
    }

    /// <summary>Owner, admin and billing view and edit every member's and key's budget (roles.md).</summary>
    private static bool ManagesBudgets(OrgMember member) => RolePolicy.Can(member.Role, Capability.ManageBudgets);

    private static async Task<IResult> GetDefaultsAsync(OrgMember member, BudgetStore store, CancellationToken ct)
    {
        if (!ManagesBudgets(member))
        {
            return AccountProblems.Forbidden("Only owners, admins and billing members can see the default developer limits.");
        }

        return TypedResults.Ok(BudgetJson.Document(await store.GetAsync(BudgetScope.Default, member.OrgId, ct)));
    }

    private static async Task<IResult> PutDefaultsAsync(
        HttpRequest request, OrgMember member, Tollgate.Audit.RequestAudit audit, BudgetStore store, BudgetEngine engine, TimeProvider time, CancellationToken ct)
    {
        if (!ManagesBudgets(member))
        {
            return AccountProblems.Forbidden("Only owners, admins and billing members can change the default developer limits.");
        }

        var (document, problem) = await ReadDocumentAsync(request, keyBudget: false, ct);
        if (document is null)
        {
            return problem!;
        }

        var (before, after) = await store.PutAsync(BudgetScope.Default, member.OrgId, member.OrgId, document, time.GetUtcNow(), ct);
        engine.InvalidateOrg(member.OrgId);
        await audit.RecordAsync("defaults.update", new Tollgate.Audit.AuditTarget("org", member.OrgId), BudgetJson.Document(before), BudgetJson.Document(after), ct);
        return TypedResults.Ok(BudgetJson.Document(after));
    }

    private static async Task<IResult> GetMemberBudgetAsync(string memberId, OrgMember member, BudgetEngine engine, Database db, TimeProvider time, CancellationToken ct)
    {
        if (memberId != member.MemberId && !ManagesBudgets(member))
        {
            return AccountProblems.NotFound(MemberNotFound); // others' ids do not leak to developers and basic members
        }

        return await MemberBudgetAsync(member, memberId, engine, db, time, ct);
    }

    private static async Task<IResult> PutMemberBudgetAsync(
        string memberId, HttpRequest request, OrgMember member, Tollgate.Audit.RequestAudit audit, BudgetStore store, BudgetEngine engine, Database db, TimeProvider time, CancellationToken ct)
    {
        if (memberId != member.MemberId && !ManagesBudgets(member))
        {
            return AccountProblems.NotFound(MemberNotFound);
        }

        if (!ManagesBudgets(member))
        {
            return AccountProblems.Forbidden("Only owners, admins and billing members can change member budgets.");
        }

        if (!await MemberInOrgAsync(db, member.OrgId, memberId, ct))
        {
            return AccountProblems.NotFound(MemberNotFound);
        }

        var (document, problem) = await ReadDocumentAsync(request, keyBudget: false, ct);
        if (document is null)
        {
            return problem!;
        }

        var (before, after) = await store.PutAsync(BudgetScope.Member, memberId, member.OrgId, document, time.GetUtcNow(), ct);
        engine.InvalidateMember(memberId);
        await audit.RecordAsync("member.budget.update", new Tollgate.Audit.AuditTarget("member", memberId), BudgetJson.Document(before), BudgetJson.Document(after), ct);
        return await MemberBudgetAsync(member, memberId, engine, db, time, ct);
    }

    private static async Task<IResult> MemberBudgetAsync(OrgMember caller, string memberId, BudgetEngine engine, Database db, TimeProvider time, CancellationToken ct)
    {
        if (!await MemberInOrgAsync(db, caller.OrgId, memberId, ct) || await engine.ViewMemberAsync(memberId, ct) is not { } view)
        {
            return AccountProblems.NotFound(MemberNotFound);
        }

        await using var connection = await db.OpenAsync(ct);
        var activeKeys = await BudgetStore.ActiveKeysAsync(connection, null, memberId, time.GetUtcNow().ToUnixTimeMilliseconds());
        return TypedResults.Ok(BudgetJson.MemberBudget(view, activeKeys));
    }

    private static async Task<IResult> ListBudgetsAsync(
        OrgMember member, string? search, string? limit, string? cursor, BudgetEngine engine, Database db, TimeProvider time, CancellationToken ct)
    {
        if (!ManagesBudgets(member))
        {
            return AccountProblems.Forbidden("Only owners, admins and billing members can see the Budgets page.");
        }

        if (!Paging.TryParse(limit, cursor, out var paging, out var error))
        {
            return AccountProblems.Validation("limit", error!);
        }

        await using var connection = await db.OpenAsync(ct);
        var pattern = string.IsNullOrWhiteSpace(search) ? null : "%" + search.Trim().ToLowerInvariant() + "%";
        var rows = (await connection.QueryAsync<(string MemberId, string Name, string Email, string Role)>(
            """
            SELECT m.id, u.name, u.email, m.role FROM members m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = @orgId AND m.removed_at IS NULL AND (@cursor IS NULL OR m.id > @cursor)
              AND (@pattern IS NULL OR LOWER(u.name) LIKE @pattern OR LOWER(u.email) LIKE @pattern)
            ORDER BY m.id LIMIT @take
            """,
            new { orgId = member.OrgId, cursor = paging.Cursor, pattern, take = paging.Limit + 1 })).ToList();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var data = new List<object>();
        foreach (var row in rows.Take(paging.Limit))
        {
            if (await engine.ViewMemberAsync(row.MemberId, ct) is not { } view)
            {
                continue;
            }

            var doc = BudgetJson.MemberBudget(view, await BudgetStore.ActiveKeysAsync(connection, null, row.MemberId, now));
            data.Add(new Dictionary<string, object?>
            {
                ["memberId"] = row.MemberId,
                ["name"] = row.Name,
                ["email"] = row.Email,
                ["role"] = row.Role,
                ["configured"] = doc["configured"],
                ["effective"] = doc["effective"],
                ["usage"] = doc["usage"],
                ["resetsAt"] = BudgetJson.EarliestReset(view),
                ["status"] = doc["status"],
            });
        }

        return TypedResults.Ok(new { data, nextCursor = rows.Count > paging.Limit ? rows[paging.Limit - 1].MemberId : null });
    }

    private static async Task<IResult> PutKeyBudgetAsync(
        string keyId, HttpRequest request, OrgMember member, Tollgate.Audit.RequestAudit audit, KeyStore keys, BudgetStore store, BudgetEngine engine, TimeProvider time, CancellationToken ct)
    {
        var key = await keys.FindAsync(member.OrgId, keyId, ct);
        var own = key is not null && key.MemberId == member.MemberId;
        if (key is null || (!own && !ManagesBudgets(member)))
        {
            return AccountProblems.NotFound(KeysApi.NotFoundMessage);
        }

        if (!ManagesBudgets(member) && !RolePolicy.Can(member.Role, Capability.SetOwnKeyBudgets))
        {
            return AccountProblems.Forbidden("Your role cannot set key budgets.");
        }

        var (document, problem) = await ReadDocumentAsync(request, keyBudget: true, ct);
        if (document is null)
        {
            return problem!;
        }

        if (await engine.ViewMemberAsync(key.MemberId, ct) is { } owner && KeyWithinMember(document, owner) is { } tooHigh)
        {
            return AccountProblems.Validation(tooHigh.Field, tooHigh.Message);
        }

        var (before, after) = await store.PutAsync(BudgetScope.Key, keyId, member.OrgId, document, time.GetUtcNow(), ct);
        engine.InvalidateMember(key.MemberId);
        await audit.RecordAsync("key.budget.update", new Tollgate.Audit.AuditTarget("key", keyId), BudgetJson.Document(before, keyBudget: true), BudgetJson.Document(after, keyBudget: true), ct);
        return await KeyUsageAsync(key.Id, key.Name, key.MemberId, engine, ct);
    }

    /// <summary>A key's limit may not exceed its member's effective limit of the same type (or window).</summary>
    internal static (string Field, string Message)? KeyWithinMember(BudgetDocument document, MemberBudgetView owner)
    {
        if (document.Spend is { Type: not SpendType.Unlimited } ks && owner.Spend is { Budget: { Type: not SpendType.Unlimited } ms } && ks.Type == ms.Type && ks.LimitPico > ms.LimitPico)
        {
            return ("spend.limit", $"The key's {(ks.Type == SpendType.Fixed ? "fixed" : "monthly")} limit may not exceed the member's {(ms.Type == SpendType.Fixed ? "fixed" : "monthly")} spend limit of {BudgetMessages.Usd(ms.LimitPico)}.");
        }

        if (document.Period is { Unlimited: false } kp && owner.Period is { Budget: { Unlimited: false } mp } && kp.Window == mp.Window && kp.LimitPico > mp.LimitPico)
        {
            return ("period.limit", $"The key's period limit may not exceed the member's {BudgetWindows.Name(mp.Window)} period limit of {BudgetMessages.Usd(mp.LimitPico)}.");
        }

        return null;
    }

    private static async Task<IResult> GetKeyUsageAsync(string keyId, OrgMember member, KeyStore keys, BudgetEngine engine, CancellationToken ct)
    {
        var key = await keys.FindAsync(member.OrgId, keyId, ct);
        if (key is null || (key.MemberId != member.MemberId && !RolePolicy.Can(member.Role, Capability.ListAllKeys)))
        {
            return AccountProblems.NotFound(KeysApi.NotFoundMessage);
        }

        return await KeyUsageAsync(key.Id, key.Name, key.MemberId, engine, ct);
    }

    /// <summary>The key usage document of a key, from the numbers admission enforces.</summary>
    internal static async Task<IResult> KeyUsageAsync(string keyId, string name, string memberId, BudgetEngine engine, CancellationToken ct)
    {
        if (await engine.ViewKeyAsync(memberId, keyId, ct) is not { } view)
        {
            return AccountProblems.NotFound(KeysApi.NotFoundMessage);
        }

        return TypedResults.Ok(BudgetJson.KeyUsage(keyId, name, view));
    }

    private static async Task<bool> MemberInOrgAsync(Database db, string orgId, string memberId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM members WHERE id = @memberId AND org_id = @orgId AND removed_at IS NULL", new { memberId, orgId }) > 0;
    }

    private static async Task<(BudgetDocument? Document, IResult? Problem)> ReadDocumentAsync(HttpRequest request, bool keyBudget, CancellationToken ct)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, TypedResults.Problem("Send the budget document as application/json.", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"));
        }

        JsonDocument json;
        try
        {
            json = await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (JsonException ex)
        {
            return (null, AccountProblems.Validation("", $"The body is not valid JSON: {ex.Message.Split(" Path:", StringSplitOptions.None)[0]}"));
        }

        using (json)
        {
            var (document, errors) = BudgetDocument.Parse(json.RootElement, keyBudget);
            return document is null ? (null, AccountProblems.Validation(errors)) : (document, null);
        }
    }
}

/// <summary>The wire shapes of budget documents, member budgets and key usage documents.</summary>
internal static class BudgetJson
{
    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A configured budget document (<c>null</c> for caps that are not set).</summary>
    public static Dictionary<string, object?> Document(BudgetConfig config, bool keyBudget = false)
    {
        var doc = new Dictionary<string, object?>
        {
            ["spend"] = Spend(config.Spend),
            ["period"] = Period(config.Period),
        };
        if (!keyBudget)
        {
            doc["maxActiveKeys"] = config.MaxActiveKeys is null ? null
                : config.MaxActiveKeys.Unlimited ? new Dictionary<string, object?> { ["type"] = "unlimited" }
                : new Dictionary<string, object?> { ["type"] = "limit", ["value"] = config.MaxActiveKeys.Value };
        }

        return doc;
    }

    private static Dictionary<string, object?>? Spend(SpendBudget? spend) => spend switch
    {
        null => null,
        { Type: SpendType.Unlimited } => new() { ["type"] = "unlimited" },
        _ => new()
        {
            ["type"] = spend.Type == SpendType.Fixed ? "fixed" : "monthly",
            ["limit"] = Money.ToWire(spend.LimitPico),
            ["countingFrom"] = spend.CountingFrom is { } cf ? Time(cf) : null,
        },
    };

    private static Dictionary<string, object?>? Period(PeriodBudget? period) => period switch
    {
        null => null,
        { Unlimited: true } => new() { ["type"] = "unlimited" },
        _ => new() { ["type"] = "rolling", ["limit"] = Money.ToWire(period.LimitPico), ["window"] = BudgetWindows.Name(period.Window) },
    };

    /// <summary>The <c>GET .../budget</c> answer.</summary>
    public static Dictionary<string, object?> MemberBudget(MemberBudgetView view, long activeKeys)
    {
        var none = new Dictionary<string, object?> { ["type"] = "unlimited", ["source"] = "none" };
        Dictionary<string, object?> WithSource(Dictionary<string, object?>? cap, string source)
        {
            var copy = new Dictionary<string, object?>(cap!) { ["source"] = source };
            copy.Remove("countingFrom");
            return copy;
        }

        var effective = new Dictionary<string, object?>
        {
            ["spend"] = view.Spend is { } s ? WithSource(Spend(s.Budget), s.Source) : none,
            ["period"] = view.Period is { } p ? WithSource(Period(p.Budget), p.Source) : new Dictionary<string, object?>(none),
            ["maxActiveKeys"] = view.MaxKeys is { } k
                ? (k.Budget.Unlimited
                    ? new Dictionary<string, object?> { ["type"] = "unlimited", ["source"] = k.Source }
                    : new Dictionary<string, object?> { ["type"] = "limit", ["value"] = k.Budget.Value, ["source"] = k.Source })
                : new Dictionary<string, object?>(none),
        };
        var paused = (view.SpendStatus?.Exhausted ?? false) || (view.PeriodStatus?.Exhausted ?? false);
        return new Dictionary<string, object?>
        {
            ["configured"] = Document(view.Configured),
            ["effective"] = effective,
            ["usage"] = new Dictionary<string, object?>
            {
                ["spend"] = Usage(view.SpendStatus, view.LifetimePico, view.ReservedPico),
                ["period"] = Usage(view.PeriodStatus, view.LifetimePico, view.ReservedPico),
                ["activeKeys"] = activeKeys,
            },
            ["status"] = paused ? "paused" : "active",
        };
    }

    private static Dictionary<string, object?> Usage(CapStatus? cap, long lifetimePico, long reservedPico) => cap is null
        ? new() { ["limit"] = null, ["used"] = Money.ToWire(lifetimePico), ["reserved"] = Money.ToWire(reservedPico), ["remaining"] = null, ["resetsAt"] = null }
        : new()
        {
            ["limit"] = Money.ToWire(cap.LimitPico),
            ["used"] = Money.ToWire(cap.UsedPico),
            ["reserved"] = Money.ToWire(cap.ReservedPico),
            ["remaining"] = Money.ToWire(cap.RemainingPico),
            ["resetsAt"] = cap.ResetsAt is { } r ? Time(r) : null,
        };

    /// <summary>The soonest reset among a member's caps, for the Budgets page.</summary>
    public static string? EarliestReset(MemberBudgetView view)
    {
        var resets = new[] { view.SpendStatus?.ResetsAt, view.PeriodStatus?.ResetsAt }.Where(r => r is not null).Select(r => r!.Value).ToList();
        return resets.Count == 0 ? null : Time(resets.Min());
    }

    /// <summary>The key usage document of api.md.</summary>
    public static Dictionary<string, object?> KeyUsage(string keyId, string name, KeyBudgetView view)
    {
        var spend = view.Configured.Spend;
        var period = view.Configured.Period;
        return new Dictionary<string, object?>
        {
            ["id"] = keyId,
            ["name"] = name,
            ["budgetType"] = spend is null ? null : spend.Type.ToString().ToLowerInvariant(),
            ["usageLimit"] = view.SpendStatus is { } s ? Money.ToWire(s.LimitPico) : null,
            // The amount the spend budget counts; lifetime spend when none is set or it is unlimited.
            ["usage"] = Money.ToWire(view.SpendStatus?.UsedPico ?? view.LifetimePico),
            ["usageResetAt"] = view.SpendStatus is { Cap: "monthly", ResetsAt: { } reset } ? Time(reset) : null,
            ["periodUsageLimit"] = view.PeriodStatus is { } p ? Money.ToWire(p.LimitPico) : null,
            ["periodWindow"] = period is { Unlimited: false } ? BudgetWindows.Name(period.Window) : null,
            ["currentPeriodUsage"] = view.PeriodStatus is { } pu ? Money.ToWire(pu.UsedPico) : null,
            ["currentPeriodResetAt"] = view.PeriodStatus?.ResetsAt is { } pr ? Time(pr) : null,
            ["memberRemaining"] = view.MemberRemainingPico is { } mr ? Money.ToWire(mr) : null,
        };
    }
}
