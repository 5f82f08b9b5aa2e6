using System.Net;
using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Team;

/// <summary>
/// An invite may carry the new member's caps (the budget document of <c>PUT .../members/{id}/budget</c>
/// under <c>budget</c>): validated when the invite is made, shown with the invite, and applied in the
/// transaction that accepts it.
/// </summary>
public sealed class InviteCapsTests
{
    private static readonly object Caps = new
    {
        spend = new { type = "fixed", limit = "25" },
        period = new { type = "rolling", limit = "2.5", window = "hour" },
        maxActiveKeys = new { type = "limit", value = 1 },
    };

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Invite_WithCaps_ListedAndAppliedOnAccept(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        // Defaults that the invite's own caps override.
        var defaults = await owner.SendJsonAsync(HttpMethod.Put, $"orgs/{orgId}/default-developer-limits",
            new { period = new { type = "rolling", limit = "100", window = "day" }, maxActiveKeys = new { type = "limit", value = 5 } });
        Assert.Equal(HttpStatusCode.OK, defaults.Status);

        var invite = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = users[1].Email, role = "developer", projectIds = new[] { p }, budget = Caps });
        var listed = await owner.ApiGetAsync($"orgs/{orgId}/invites");
        var accepted = await users[1].Client.ApiPostAsync($"invites/{invite.Str("token")}/accept");
        var dev = users[1].Client;
        var budget = await dev.ApiGetAsync($"orgs/{orgId}/members/me/budget");
        var firstKey = await dev.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = p, name = "first" });
        var secondKey = await dev.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = p, name = "second" });
        var audit = await owner.ApiGetAsync($"orgs/{orgId}/audit-logs?action=invite.accept");

        Assert.True(invite.Status == HttpStatusCode.Created, invite.Text);
        var expected = """{"spend":{"type":"fixed","limit":"25"},"period":{"type":"rolling","limit":"2.5","window":"hour"},"maxActiveKeys":{"type":"limit","value":1}}""";
        Assert.Equal(expected, invite.Body.GetProperty("budget").GetRawText());
        Assert.Equal(expected, Assert.Single(listed.Body.GetProperty("data").EnumerateArray()).GetProperty("budget").GetRawText());
        Assert.Equal(HttpStatusCode.OK, accepted.Status);

        // The member's own caps from the first moment: configured, effective from "member", nothing used yet.
        var configured = budget.Body.GetProperty("configured");
        Assert.Equal("fixed", configured.GetProperty("spend").GetProperty("type").GetString());
        Assert.Equal("25", configured.GetProperty("spend").GetProperty("limit").GetString());
        Assert.Equal("2.5", configured.GetProperty("period").GetProperty("limit").GetString());
        Assert.Equal("hour", configured.GetProperty("period").GetProperty("window").GetString());
        var effective = budget.Body.GetProperty("effective");
        Assert.All(new[] { "spend", "period", "maxActiveKeys" }, cap => Assert.Equal("member", effective.GetProperty(cap).GetProperty("source").GetString()));
        Assert.Equal("25", budget.Body.GetProperty("usage").GetProperty("spend").GetProperty("remaining").GetString());

        // Enforced: the invite's key cap (1) holds, not the default's 5.
        Assert.Equal(HttpStatusCode.Created, firstKey.Status);
        Assert.Equal(HttpStatusCode.BadRequest, secondKey.Status);
        Assert.Contains("You have reached your limit of 1 active API keys set by an organization admin.", secondKey.Text, StringComparison.Ordinal);

        var entry = Assert.Single(audit.Body.GetProperty("data").EnumerateArray());
        Assert.Equal("1", entry.GetProperty("after").GetProperty("budget").GetProperty("maxActiveKeys").GetProperty("value").GetRawText());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Invite_WithoutCaps_MemberStartsNotSetAndInheritsDefaults(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        await owner.SendJsonAsync(HttpMethod.Put, $"orgs/{orgId}/default-developer-limits", new { maxActiveKeys = new { type = "limit", value = 3 } });

        // Every cap "not set" in the document is no caps at all.
        var invite = await owner.ApiPostAsync($"orgs/{orgId}/invites",
            new { email = users[1].Email, role = "developer", projectIds = new[] { p }, budget = new { spend = (object?)null, period = (object?)null, maxActiveKeys = (object?)null } });
        await users[1].Client.ApiPostAsync($"invites/{invite.Str("token")}/accept");
        var budget = await users[1].Client.ApiGetAsync($"orgs/{orgId}/members/me/budget");

        Assert.Equal(HttpStatusCode.Created, invite.Status);
        Assert.Equal(JsonValueKind.Null, invite.Body.GetProperty("budget").ValueKind);
        Assert.Equal(JsonValueKind.Null, budget.Body.GetProperty("configured").GetProperty("maxActiveKeys").ValueKind);
        Assert.Equal("default", budget.Body.GetProperty("effective").GetProperty("maxActiveKeys").GetProperty("source").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Invite_InvalidCaps_400WithTheBudgetApisMessagesPerField(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 1);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        const string Bad = """{"spend":{"type":"fixed","limit":"-1"},"period":{"type":"rolling","limit":"1.0000000000001","window":"fortnight"},"maxActiveKeys":{"type":"forever"},"cap":1}""";
        var me = await owner.ApiGetAsync($"orgs/{orgId}/members/me");

        var invite = await owner.SendJsonAsync(HttpMethod.Post, $"orgs/{orgId}/invites",
            $$"""{"email":"{{AccountSetup.NewEmail()}}","role":"developer","projectIds":["{{p}}"],"budget":{{Bad}}}""");
        var put = await owner.SendJsonAsync(HttpMethod.Put, $"orgs/{orgId}/members/{me.Str("memberId")}/budget", Bad);
        var listed = await owner.ApiGetAsync($"orgs/{orgId}/invites");

        Assert.Equal(HttpStatusCode.BadRequest, invite.Status);
        Assert.Equal(HttpStatusCode.BadRequest, put.Status);
        var putErrors = put.Body.GetProperty("errors").EnumerateObject().ToDictionary(e => "budget." + e.Name, e => e.Value.GetRawText());
        var inviteErrors = invite.Body.GetProperty("errors").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetRawText());
        Assert.Equal(["budget.cap", "budget.maxActiveKeys.type", "budget.period.limit", "budget.period.window", "budget.spend.limit"], inviteErrors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(putErrors.OrderBy(e => e.Key, StringComparer.Ordinal), inviteErrors.OrderBy(e => e.Key, StringComparer.Ordinal));
        Assert.Equal(0, listed.Body.GetProperty("data").GetArrayLength()); // nothing was stored
    }

    [Fact]
    public async Task Invite_WithCaps_RefusedAcceptLeavesNoBudgetBehind()
    {
        await using var server = await TollgateServer.StartAsync();
        var users = await TeamSetup.NewUsersAsync(server, 3);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        var invite = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = users[1].Email, role = "developer", projectIds = new[] { p }, budget = Caps });
        await owner.ApiDeleteAsync($"orgs/{orgId}/invites/{invite.Str("id")}");

        var wrongUser = await users[2].Client.ApiPostAsync($"invites/{invite.Str("token")}/accept");
        var revoked = await users[1].Client.ApiPostAsync($"invites/{invite.Str("token")}/accept");
        await using var connection = await TeamSetup.OpenDatabaseAsync(server);
        var memberBudgets = await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection,
            "SELECT COUNT(*) FROM budgets WHERE scope_type = 'member' AND org_id = @orgId", new { orgId });

        Assert.Equal(HttpStatusCode.Forbidden, wrongUser.Status);
        Assert.Equal(HttpStatusCode.Gone, revoked.Status);
        Assert.Equal(0, memberBudgets);
    }
}
