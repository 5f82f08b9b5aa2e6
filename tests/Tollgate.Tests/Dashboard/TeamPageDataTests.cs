using Dapper;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Dashboard;
using Tollgate.Tests.Infrastructure;
using Tollgate.Tests.Team;

namespace Tollgate.Tests.Dashboard;

/// <summary>The Team page's loader: every member of a big org, past the largest page of the member list.</summary>
public sealed class TeamPageDataTests
{
    [Fact]
    public async Task Load_OrgLargerThanOnePage_EveryMemberWithBudgetAndNoneTwice()
    {
        await using var server = await TollgateServer.StartAsync();
        var (_, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        const int Added = Paging.MaxLimit + 5;
        await using (var connection = await TeamSetup.OpenDatabaseAsync(server))
        {
            await TeamSetup.InsertMembersAsync(connection, orgId, Added, "basic", "Member");
        }

        await using var owner = await TeamSetup.OpenDatabaseAsync(server);
        var (ownerId, ownerUser) = await owner.QuerySingleAsync<(string, string)>(
            "SELECT id, user_id FROM members WHERE org_id = @orgId AND role = 'owner'", new { orgId });
        var services = server.App.Services;
        var data = await TeamPageData.LoadAsync(
            services.GetRequiredService<MemberService>(), services.GetRequiredService<ProjectService>(), services.GetRequiredService<BudgetService>(),
            new OrgMember(ownerId, orgId, ownerUser, OrgRoles.Owner), 30, TimeProvider.System, CancellationToken.None).WaitAsync(AccountSetup.CallTimeout);

        Assert.Equal(Added + 1, data.Members.Count);
        Assert.Equal(Added + 1, data.Members.Select(m => m.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(data.Members.Select(m => m.Id).Order(StringComparer.Ordinal), data.Budgets.Keys.Order(StringComparer.Ordinal));
        Assert.NotNull(data.Usage);
    }
}
