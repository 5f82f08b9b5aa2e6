using System.Net;
using System.Text.Json;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Accounts;

public sealed class OrgsAndProjectsTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task CreateOrg_ByUser_CallerIsOwnerWithDefaults(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(server);
        using var client = server.CreateClient(token);

        var created = await client.ApiPostAsync("orgs", new { name = "Acme", somethingElse = true });

        Assert.Equal(HttpStatusCode.Created, created.Status);
        var orgId = created.Str("id");
        Assert.StartsWith("org_", orgId, StringComparison.Ordinal);
        Assert.Equal($"/orgs/{orgId}", created.Headers.Location?.OriginalString);
        Assert.Equal("Acme", created.Str("name"));
        Assert.Equal("enterprise", created.Str("plan"));
        Assert.Equal("byok", created.Str("billingMode"));
        Assert.Matches(ApiCalls.TimePattern, created.Str("createdAt"));

        var me = await client.ApiGetAsync("me");
        var membership = Assert.Single(me.Body.GetProperty("memberships").EnumerateArray());
        Assert.Equal(orgId, membership.GetProperty("orgId").GetString());
        Assert.Equal("owner", membership.GetProperty("role").GetString());
        Assert.StartsWith("mem_", membership.GetProperty("memberId").GetString(), StringComparison.Ordinal);

        var fetched = await client.ApiGetAsync($"orgs/{orgId}");
        Assert.Equal(HttpStatusCode.OK, fetched.Status);
        Assert.Equal(created.Text, fetched.Text);
    }

    [Fact]
    public async Task CreateOrg_ConfiguredPlanAndBillingMode_Used()
    {
        await using var server = await TollgateServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Tollgate:DefaultPlan"] = "pro",
            ["Tollgate:Billing:DefaultMode"] = "credits",
        });
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(server);
        using var client = server.CreateClient(token);

        var created = await client.ApiPostAsync("orgs", new { name = "Configured" });
        var invalid = await client.ApiPostAsync("orgs", new { name = "" });

        Assert.Equal("pro", created.Str("plan"));
        Assert.Equal("credits", created.Str("billingMode"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.Equal(["name"], invalid.ErrorFields);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task ListOrgs_ThreeOrgsLimitTwo_PagesWithCursor(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(server);
        var (otherToken, _) = await AccountSetup.SignUpAndLogInAsync(server);
        using var client = server.CreateClient(token);
        using var other = server.CreateClient(otherToken);
        var ids = new List<string>();
        foreach (var name in new[] { "One", "Two", "Three" })
        {
            ids.Add((await client.ApiPostAsync("orgs", new { name })).Str("id"));
        }

        await other.ApiPostAsync("orgs", new { name = "Someone else's" });

        var first = await client.ApiGetAsync("orgs?limit=2");
        var second = await client.ApiGetAsync($"orgs?limit=2&cursor={first.Str("nextCursor")}");
        var tooMany = await client.ApiGetAsync("orgs?limit=500");

        Assert.Equal(ids.Order(StringComparer.Ordinal).Take(2), first.Body.GetProperty("data").EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.Equal(ids.Order(StringComparer.Ordinal).Skip(2), second.Body.GetProperty("data").EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.Equal(JsonValueKind.Null, second.Body.GetProperty("nextCursor").ValueKind);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.Status);
        Assert.Equal(["limit"], tooMany.ErrorFields);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task PatchOrg_Owner_Renames(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);

        var renamed = await client.ApiPatchAsync($"orgs/{orgId}", new { name = "Renamed", taxRate = "0.2" });
        var unchanged = await client.ApiPatchAsync($"orgs/{orgId}", new { });
        var invalid = await client.ApiPatchAsync($"orgs/{orgId}", new { name = " " });

        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("Renamed", renamed.Str("name"));
        Assert.Equal("Renamed", unchanged.Str("name"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.Equal("Renamed", (await client.ApiGetAsync($"orgs/{orgId}")).Str("name"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Projects_CreateReadListRenameDelete_SoftDeleteHidesIt(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(server);
        using var client = server.CreateClient(token);
        var orgId = (await client.ApiPostAsync("orgs", new { name = "Org" })).Str("id");

        var created = await client.ApiPostAsync($"orgs/{orgId}/projects", new { name = "Web" });
        var second = await client.ApiPostAsync($"orgs/{orgId}/projects", new { name = "Mobile" });
        var invalid = await client.ApiPostAsync($"orgs/{orgId}/projects", new { name = "" });
        var projectId = created.Str("id");

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.StartsWith("prj_", projectId, StringComparison.Ordinal);
        Assert.Equal(orgId, created.Str("orgId"));
        Assert.Equal("Web", created.Str("name"));
        Assert.Matches(ApiCalls.TimePattern, created.Str("createdAt"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);

        var fetched = await client.ApiGetAsync($"orgs/{orgId}/projects/{projectId}");
        Assert.Equal(created.Text, fetched.Text);

        var list = await client.ApiGetAsync($"orgs/{orgId}/projects");
        Assert.Equal(new[] { projectId, second.Str("id") }.Order(StringComparer.Ordinal), list.Body.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
        Assert.Equal(JsonValueKind.Null, list.Body.GetProperty("nextCursor").ValueKind);

        var renamed = await client.ApiPatchAsync($"orgs/{orgId}/projects/{projectId}", new { name = "Website" });
        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("Website", renamed.Str("name"));

        var deleted = await client.ApiDeleteAsync($"orgs/{orgId}/projects/{projectId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.ApiGetAsync($"orgs/{orgId}/projects/{projectId}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.ApiPatchAsync($"orgs/{orgId}/projects/{projectId}", new { name = "X" })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.ApiDeleteAsync($"orgs/{orgId}/projects/{projectId}")).Status);
        var after = await client.ApiGetAsync($"orgs/{orgId}/projects");
        Assert.Equal([second.Str("id")], after.Body.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task DeleteProject_WithKeys_KeysDisabledAtOnce(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, projectId, keyId, key) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        Assert.True((await ApiCalls.AuthenticateBearerAsync(server, key)).Succeeded); // now cached

        await client.ApiDeleteAsync($"orgs/{orgId}/projects/{projectId}");

        var auth = await ApiCalls.AuthenticateBearerAsync(server, key);
        Assert.Equal(Tollgate.Accounts.KeyAuthFailure.Disabled, auth.Failure);
        Assert.Equal("API key is disabled.", auth.Message);
        Assert.Equal("disabled", (await client.ApiGetAsync($"orgs/{orgId}/keys/{keyId}")).Str("status"));
        var reactivate = await client.ApiPatchAsync($"orgs/{orgId}/keys/{keyId}", new { status = "active" });
        Assert.Equal(HttpStatusCode.BadRequest, reactivate.Status);
        Assert.Equal(["status"], reactivate.ErrorFields);
        var newKey = await client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId, name = "late" });
        Assert.Equal(HttpStatusCode.NotFound, newKey.Status);
    }
}
