using Dapper;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Storage;

namespace Tollgate.Budgets;

/// <summary>One row of the Budgets page: a member with their budget as enforced.</summary>
internal sealed record BudgetRow(string MemberId, string Name, string Email, string Role, MemberBudget Budget);

/// <summary>
/// Budget management (api.md "Budgets", "API keys"), for the API and the dashboard alike: default
/// developer limits, member budgets, key budgets, the Budgets page and key usage. Every number comes
/// from the same engine state that admission enforces; documents are parsed by
/// <see cref="BudgetDocument.Parse"/> on both paths, so a page shows the API's field errors.
/// </summary>
internal sealed class BudgetService(BudgetStore store, BudgetEngine engine, KeyStore keys, Database db, TimeProvider time)
{
    /// <summary>404 detail for a member the caller cannot see.</summary>
    public const string MemberNotFound = "Member not found.";

    /// <summary>Owner, admin and billing view and edit every member's and key's budget (roles.md).</summary>
    public static bool ManagesBudgets(OrgMember member) => RolePolicy.Can(member.Role, Capability.ManageBudgets);

    /// <summary>The org's default developer limits.</summary>
    public async Task<Outcome<BudgetConfig>> GetDefaultsAsync(OrgMember member, CancellationToken ct)
    {
        if (!ManagesBudgets(member))
        {
            return AccountProblems.Forbidden("Only owners, admins and billing members can see the default developer limits.");
        }

        return await store.GetAsync(BudgetScope.Default, member.OrgId, ct);
    }

    /// <summary>Replaces the default developer limits.</summary>
    public async Task<Outcome<BudgetConfig>> PutDefaultsAsync(OrgMember member, RequestAudit audit, BudgetDocument document, CancellationToken ct)
    {
        if (!ManagesBudgets(member))
        {
            return AccountProblems.Forbidden("Only owners, admins and billing members can change the default developer limits.");
        }

        var (before, after) = await store.PutAsync(BudgetScope.Default, member.OrgId, member.OrgId, document, time.GetUtcNow(), ct);
        engine.InvalidateOrg(member.OrgId);
        await audit.RecordAsync("defaults.update", new AuditTarget("org", member.OrgId), BudgetJson.Document(before), BudgetJson.Document(after), ct);
        return after;
    }

    /// <summary>A member's budget as enforced; others' for roles that manage budgets, one's own for everyone.</summary>
    public async Task<Outcome<MemberBudget>> GetMemberAsync(OrgMember member, string memberId, CancellationToken ct)
    {
        if (memberId != member.MemberId && !ManagesBudgets(member))
        {
            return AccountProblems.NotFound(MemberNotFound); // others' ids do not leak to developers and basic members
        }

        return await MemberBudgetAsync(member, memberId, ct);
    }

    /// <summary>Replaces a member's budget document (owner, admin, billing), following budgets.md's switching table.</summary>
    public async Task<Outcome<MemberBudget>> PutMemberAsync(OrgMember member, RequestAudit audit, string memberId, BudgetDocument? document, IResult? parseProblem, CancellationToken ct)
    {
        if (memberId != member.MemberId && !ManagesBudgets(member))
        {
            return AccountProblems.NotFound(MemberNotFound);
        }

        if (!ManagesBudgets(member))
        {
            return AccountProblems.Forbidden("Only owners, admins and billing members can change member budgets.");
        }

        if (!await MemberInOrgAsync(member.OrgId, memberId, ct))
        {
            return AccountProblems.NotFound(MemberNotFound);
        }

        if (document is null)
        {
            return Problem<MemberBudget>(parseProblem!);
        }

        var (before, after) = await store.PutAsync(BudgetScope.Member, memberId, member.OrgId, document, time.GetUtcNow(), ct);
        engine.InvalidateMember(memberId);
        await audit.RecordAsync("member.budget.update", new AuditTarget("member", memberId), BudgetJson.Document(before), BudgetJson.Document(after), ct);
        return await MemberBudgetAsync(member, memberId, ct);
    }

    /// <summary>The Budgets page: one row a member, by id, with an optional name or email search.</summary>
    public async Task<Outcome<(IReadOnlyList<BudgetRow> Rows, string? NextCursor)>> ListAsync(OrgMember member, string? search, string? limit, string? cursor, CancellationToken ct)
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
        var pattern = string.IsNullOrWhiteSpace(search) ? null : Tollgate.Operations.LikePattern.Contains(search.Trim().ToLowerInvariant());
        var rows = (await connection.QueryAsync<(string MemberId, string Name, string Email, string Role)>(
            """
            SELECT m.id, u.name, u.email, m.role FROM members m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = @orgId AND m.removed_at IS NULL AND (@cursor IS NULL OR m.id > @cursor)
              AND (@pattern IS NULL OR LOWER(u.name) LIKE @pattern ESCAPE '\' OR LOWER(u.email) LIKE @pattern ESCAPE '\')
            ORDER BY m.id LIMIT @take
            """,
            new { orgId = member.OrgId, cursor = paging.Cursor, pattern, take = paging.Limit + 1 })).ToList();
        var page = rows.Take(paging.Limit).ToList();
        var views = await engine.ViewMembersAsync(page.Select(r => r.MemberId), ct);
        var activeKeys = await BudgetStore.ActiveKeysOfOrgAsync(connection, member.OrgId, time.GetUtcNow().ToUnixTimeMilliseconds());
        var data = new List<BudgetRow>();
        foreach (var row in page)
        {
            if (views.TryGetValue(row.MemberId, out var view))
            {
                data.Add(new BudgetRow(row.MemberId, row.Name, row.Email, row.Role, new MemberBudget(view, activeKeys.GetValueOrDefault(row.MemberId))));
            }
        }

        return (data, rows.Count > paging.Limit ? rows[paging.Limit - 1].MemberId : null);
    }

    /// <summary>Replaces a key's budget: any key for roles that manage budgets, own keys for developers.</summary>
    public async Task<Outcome<(KeyStore.KeyRow Key, KeyBudgetView View)>> PutKeyAsync(
        OrgMember member, RequestAudit audit, string keyId, BudgetDocument? document, IResult? parseProblem, CancellationToken ct)
    {
        var key = await keys.FindAsync(member.OrgId, keyId, ct);
        var own = key is not null && key.MemberId == member.MemberId;
        if (key is null || (!own && !ManagesBudgets(member)))
        {
            return AccountProblems.NotFound(KeyService.NotFoundMessage);
        }

        if (!ManagesBudgets(member) && !RolePolicy.Can(member.Role, Capability.SetOwnKeyBudgets))
        {
            return AccountProblems.Forbidden("Your role cannot set key budgets.");
        }

        if (document is null)
        {
            return Problem<(KeyStore.KeyRow Key, KeyBudgetView View)>(parseProblem!);
        }

        if (await engine.ViewMemberAsync(key.MemberId, ct) is { } owner && KeyWithinMember(document, owner) is { } tooHigh)
        {
            return AccountProblems.Validation(tooHigh.Field, tooHigh.Message);
        }

        var (before, after) = await store.PutAsync(BudgetScope.Key, keyId, member.OrgId, document, time.GetUtcNow(), ct);
        engine.InvalidateMember(key.MemberId);
        await audit.RecordAsync("key.budget.update", new AuditTarget("key", keyId), BudgetJson.Document(before, keyBudget: true), BudgetJson.Document(after, keyBudget: true), ct);
        return await KeyViewAsync(key, ct);
    }

    /// <summary>A key's budget as enforced: own keys for everyone, every key for roles that list all keys.</summary>
    public async Task<Outcome<(KeyStore.KeyRow Key, KeyBudgetView View)>> GetKeyAsync(OrgMember member, string keyId, CancellationToken ct)
    {
        var key = await keys.FindAsync(member.OrgId, keyId, ct);
        if (key is null || (key.MemberId != member.MemberId && !RolePolicy.Can(member.Role, Capability.ListAllKeys)))
        {
            return AccountProblems.NotFound(KeyService.NotFoundMessage);
        }

        return await KeyViewAsync(key, ct);
    }

    /// <summary>A key's budget as enforced, for a key already known to be the caller's to see.</summary>
    public async Task<Outcome<(KeyStore.KeyRow Key, KeyBudgetView View)>> KeyViewAsync(KeyStore.KeyRow key, CancellationToken ct) =>
        await engine.ViewKeyAsync(key.MemberId, key.Id, ct) is { } view ? (key, view) : AccountProblems.NotFound(KeyService.NotFoundMessage);

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

    private async Task<Outcome<MemberBudget>> MemberBudgetAsync(OrgMember caller, string memberId, CancellationToken ct)
    {
        if (!await MemberInOrgAsync(caller.OrgId, memberId, ct) || await engine.ViewMemberAsync(memberId, ct) is not { } view)
        {
            return AccountProblems.NotFound(MemberNotFound);
        }

        await using var connection = await db.OpenAsync(ct);
        return new MemberBudget(view, await BudgetStore.ActiveKeysAsync(connection, null, memberId, time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    private async Task<bool> MemberInOrgAsync(string orgId, string memberId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM members WHERE id = @memberId AND org_id = @orgId AND removed_at IS NULL", new { memberId, orgId }) > 0;
    }

    // A parse problem is either kind of problem result the API answers.
    private static Outcome<T> Problem<T>(IResult problem) => problem switch
    {
        Microsoft.AspNetCore.Http.HttpResults.ValidationProblem v => v,
        Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult p => p,
        _ => throw new InvalidOperationException("Not a problem result."),
    };
}
