using System.Net;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Team;

public sealed class TeamCrossOrgTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task OtherOrgsIds_EveryTeamEndpoint_404AndNothingChanges(DbDialect dialect)
    {
        // Arrange: org A with a full team; org B's owner is also an admin nowhere in A.
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server);
        var a = await TeamSetup.NewTeamOrgAsync(server, users);
        var outsider = await TeamSetup.NewUserAsync(server);
        var orgB = await TeamSetup.NewOrgAsync(outsider, "B");
        var b = outsider.Client;
        var ownerA = a.Owner.Client;
        var membersBefore = (await ownerA.ApiGetAsync($"orgs/{a.OrgId}/members?from=2026-01-01&to=2026-01-31")).Text;
        var invitesBefore = (await ownerA.ApiGetAsync($"orgs/{a.OrgId}/invites")).Text;
        var auditBefore = (await ownerA.ApiGetAsync($"orgs/{a.OrgId}/audit-logs")).Text;
        var member = a.Target.MemberId;

        var answers = new Dictionary<string, ApiResponse>
        {
            // A's org through its own path.
            ["roles"] = await b.ApiGetAsync($"orgs/{a.OrgId}/roles"),
            ["list members"] = await b.ApiGetAsync($"orgs/{a.OrgId}/members"),
            ["own membership"] = await b.ApiGetAsync($"orgs/{a.OrgId}/members/me"),
            ["get member"] = await b.ApiGetAsync($"orgs/{a.OrgId}/members/{member}"),
            ["patch member"] = await b.ApiPatchAsync($"orgs/{a.OrgId}/members/{member}", new { role = "admin" }),
            ["remove member"] = await b.ApiDeleteAsync($"orgs/{a.OrgId}/members/{member}"),
            ["invite"] = await b.ApiPostAsync($"orgs/{a.OrgId}/invites", new { email = outsider.Email, role = "owner" }),
            ["list invites"] = await b.ApiGetAsync($"orgs/{a.OrgId}/invites"),
            ["revoke invite"] = await b.ApiDeleteAsync($"orgs/{a.OrgId}/invites/{a.InviteId}"),
            ["audit log"] = await b.ApiGetAsync($"orgs/{a.OrgId}/audit-logs"),
            ["audit csv"] = await b.ApiGetAsync($"orgs/{a.OrgId}/audit-logs?format=csv"),
            ["audit verify"] = await b.ApiGetAsync($"orgs/{a.OrgId}/audit-logs/verify"),
            // A's ids smuggled through B's own org.
            ["get member via own org"] = await b.ApiGetAsync($"orgs/{orgB}/members/{member}"),
            ["patch member via own org"] = await b.ApiPatchAsync($"orgs/{orgB}/members/{member}", new { role = "admin" }),
            ["remove member via own org"] = await b.ApiDeleteAsync($"orgs/{orgB}/members/{member}"),
            ["revoke invite via own org"] = await b.ApiDeleteAsync($"orgs/{orgB}/invites/{a.InviteId}"),
            ["invite into other org's project"] = await b.ApiPostAsync($"orgs/{orgB}/invites", new { email = AccountSetup.NewEmail(), role = "developer", projectIds = new[] { a.ProjectP } }),
            ["grant other org's project"] = await b.ApiPatchAsync($"orgs/{orgB}/members/{(await b.ApiGetAsync($"orgs/{orgB}/members/me")).Str("memberId")}", new { projectIds = new[] { a.ProjectP } }),
        };

        foreach (var (call, answer) in answers)
        {
            Assert.True(answer.Status == HttpStatusCode.NotFound, $"{call}: {(int)answer.Status} {answer.Text}");
            Assert.Equal("application/problem+json", answer.ContentType);
            Assert.DoesNotContain(a.Target.User.Email, answer.Text, StringComparison.Ordinal);
        }

        // Nothing of A's changed: members, invites, audit log; A's keys still work.
        Assert.Equal(membersBefore, (await ownerA.ApiGetAsync($"orgs/{a.OrgId}/members?from=2026-01-01&to=2026-01-31")).Text);
        Assert.Equal(invitesBefore, (await ownerA.ApiGetAsync($"orgs/{a.OrgId}/invites")).Text);
        Assert.Equal(auditBefore, (await ownerA.ApiGetAsync($"orgs/{a.OrgId}/audit-logs")).Text);
        Assert.True((await ApiCalls.AuthenticateBearerAsync(server, a.SecretOf[member])).Succeeded);
        Assert.DoesNotContain(a.OrgId, (await b.ApiGetAsync("me")).Text, StringComparison.Ordinal);
        var bAudit = await b.ApiGetAsync($"orgs/{orgB}/audit-logs");
        Assert.Equal(["org.create"], bAudit.Body.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task InviteOfOtherOrg_AcceptedOnlyByItsEmail()
    {
        await using var server = await TollgateServer.StartAsync();
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var invite = await users[0].Client.ApiPostAsync($"orgs/{orgId}/invites", new { email = AccountSetup.NewEmail(), role = OrgRoles.Admin });

        var stolen = await users[1].Client.ApiPostAsync($"invites/{invite.Str("token")}/accept");

        Assert.Equal(HttpStatusCode.Forbidden, stolen.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await users[1].Client.ApiGetAsync($"orgs/{orgId}")).Status);
        Assert.Equal("pending", (await users[0].Client.ApiGetAsync($"orgs/{orgId}/invites")).Body.GetProperty("data")[0].GetProperty("status").GetString());
    }
}
