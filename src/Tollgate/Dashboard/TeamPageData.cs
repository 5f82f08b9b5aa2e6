using System.Globalization;
using Tollgate.Accounts;
using Tollgate.Budgets;

namespace Tollgate.Dashboard;

/// <summary>
/// Everything the Team page shows, loaded through the services the API uses: every member (all pages of
/// the member list, not only the first), their usage over the range and budgets, the projects, the
/// default developer limits and the pending invitations. One loader for the page and its benchmark.
/// </summary>
internal sealed record TeamPageData(
    IReadOnlyList<MemberStore.MemberDetail> Members,
    IReadOnlyDictionary<string, MemberStore.MemberUsage>? Usage,
    IReadOnlyDictionary<string, MemberBudget> Budgets,
    Dictionary<string, string> Projects,
    BudgetConfig Defaults,
    IReadOnlyList<InviteStore.InviteRow> Invites)
{
    // Bounds the member list walk: a hundred pages of the largest page size.
    private const int MaxPages = 100;

    /// <summary>Loads the page for <paramref name="member"/> with usage over the last <paramref name="rangeDays"/> days.</summary>
    public static async Task<TeamPageData> LoadAsync(
        MemberService members, ProjectService projects, BudgetService budgets, OrgMember member, int rangeDays, TimeProvider time, CancellationToken ct)
    {
        var from = time.GetUtcNow().AddDays(-rangeDays).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var limit = Paging.MaxLimit.ToString(CultureInfo.InvariantCulture);
        var rows = new List<MemberStore.MemberDetail>();
        IReadOnlyDictionary<string, MemberStore.MemberUsage>? usage = null;
        var memberBudgets = new Dictionary<string, MemberBudget>(StringComparer.Ordinal);
        string? cursor = null;
        for (var page = 0; page < MaxPages; page++)
        {
            var list = await members.ListAsync(member, from, null, limit, cursor, withUsage: page == 0, ct);
            if (list.Failed)
            {
                break;
            }

            var value = list.Value!;
            var taken = value.Rows.Take(value.Paging.Limit).ToList();
            rows.AddRange(taken);
            usage ??= value.Usage; // the usage of the whole org over the range, read with the first page only
            foreach (var (id, b) in value.Budgets ?? new Dictionary<string, MemberBudget>())
            {
                memberBudgets[id] = b;
            }

            if (value.Rows.Count <= value.Paging.Limit)
            {
                break;
            }

            cursor = taken[^1].Id;
        }

        var projectNames = (await projects.ListAllAsync(member, ct)).ToDictionary(p => p.Id, p => p.Name);
        var defaults = (await budgets.GetDefaultsAsync(member, ct)).Value ?? BudgetConfig.Empty;
        IReadOnlyList<InviteStore.InviteRow> invites = [];
        if (RolePolicy.Can(member.Role, Capability.ManageMembers))
        {
            var listed = await members.ListInvitesAsync(member, limit, null, ct);
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            invites = listed.Failed ? [] : listed.Value.Rows.Take(listed.Value.Paging.Limit).Where(i => i.StatusAt(now) == "pending").ToList();
        }

        return new TeamPageData(rows, usage, memberBudgets, projectNames, defaults, invites);
    }
}
