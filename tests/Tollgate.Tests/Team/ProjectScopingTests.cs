using System.Net;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Team;

public sealed class ProjectScopingTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Developer_SeesOnlyGrantedProjectsAndOwnKeys(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server);
        var org = await TeamSetup.NewTeamOrgAsync(server, users);
        var dev = org.ByRole[OrgRoles.Developer];
        var (keyInQ, _) = await TeamSetup.NewKeyAsync(server, org.OrgId, org.ProjectQ, dev.MemberId);

        var projects = await dev.Client.ApiGetAsync($"orgs/{org.OrgId}/projects");
        var keys = await dev.Client.ApiGetAsync($"orgs/{org.OrgId}/keys");
        var othersKeys = await dev.Client.ApiGetAsync($"orgs/{org.OrgId}/keys?memberId={org.Owner.MemberId}");
        var qKeys = await dev.Client.ApiGetAsync($"orgs/{org.OrgId}/keys?projectId={org.ProjectQ}");
        var ownKeyInQ = await dev.Client.ApiGetAsync($"orgs/{org.OrgId}/keys/{keyInQ}");
        var members = await dev.Client.ApiGetAsync($"orgs/{org.OrgId}/members");
        var ownerProjects = await org.Owner.Client.ApiGetAsync($"orgs/{org.OrgId}/projects");
        var billingKeys = await org.ByRole[OrgRoles.Billing].Client.ApiGetAsync($"orgs/{org.OrgId}/keys");

        Assert.Equal([org.ProjectP], Ids(projects));
        Assert.Equal([org.KeyOf[dev.MemberId]], Ids(keys));
        Assert.Equal(HttpStatusCode.NotFound, othersKeys.Status); // filtering by what one cannot see is fetching it
        Assert.Equal(HttpStatusCode.NotFound, qKeys.Status);
        Assert.Equal(HttpStatusCode.NotFound, ownKeyInQ.Status); // own, but in a project not granted
        Assert.Equal([dev.MemberId], members.Body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("memberId").GetString()));
        Assert.Equal(2, Ids(ownerProjects).Count);
        Assert.Equal(8, Ids(billingKeys).Count);
        Assert.DoesNotContain("\"key\"", billingKeys.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task GrantRemoved_DevelopersKey_GatewayAnswers403ProjectAccessRevokedAtOnce(DbDialect dialect)
    {
        // Arrange: a developer with a working key in P (the demo provider answers without an upstream).
        await using var server = await TollgateServer.StartAsync(dialect, args: "--demo");
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        var q = await TeamSetup.NewProjectAsync(owner, orgId, "Q");
        var dev = await TeamSetup.AddMemberAsync(owner, orgId, users[1], OrgRoles.Developer, p, q);
        var key = await dev.Client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = p, name = "agent" });
        var secret = key.Str("key");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(server, secret)).Status); // also caches the key

        // Act: the owner takes P away.
        var patch = await owner.ApiPatchAsync($"orgs/{orgId}/members/{dev.MemberId}", new { projectIds = new[] { q } });
        var refused = await ChatAsync(server, secret);
        var auth = await ApiCalls.AuthenticateBearerAsync(server, secret);
        var keyRead = await dev.Client.ApiGetAsync($"orgs/{orgId}/keys/{key.Str("id")}");

        // Assert
        Assert.Equal(HttpStatusCode.OK, patch.Status);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        var error = refused.Body.GetProperty("error");
        Assert.Equal("project_access_revoked", error.GetProperty("code").GetString());
        Assert.Equal("Your access to this API key's project has been revoked.", error.GetProperty("message").GetString());
        Assert.Equal(KeyAuthFailure.ProjectAccessRevoked, auth.Failure);
        Assert.Equal(HttpStatusCode.NotFound, keyRead.Status);

        // Granting P again restores the key, and so does a role that sees every project.
        await owner.ApiPatchAsync($"orgs/{orgId}/members/{dev.MemberId}", new { projectIds = new[] { p } });
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(server, secret)).Status);
        await owner.ApiPatchAsync($"orgs/{orgId}/members/{dev.MemberId}", new { projectIds = new[] { q } });
        Assert.Equal(HttpStatusCode.Forbidden, (await ChatAsync(server, secret)).Status);
        await owner.ApiPatchAsync($"orgs/{orgId}/members/{dev.MemberId}", new { role = OrgRoles.Admin });
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(server, secret)).Status);
        await owner.ApiPatchAsync($"orgs/{orgId}/members/{dev.MemberId}", new { role = OrgRoles.Basic });
        Assert.Equal(HttpStatusCode.Forbidden, (await ChatAsync(server, secret)).Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task DisabledKey_WithoutGrant_401BeforeProjectAccess(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server);
        var org = await TeamSetup.NewTeamOrgAsync(server, users);
        var dev = org.ByRole[OrgRoles.Developer];
        var owner = org.Owner.Client;
        await owner.ApiPatchAsync($"orgs/{org.OrgId}/keys/{org.KeyOf[dev.MemberId]}", new { status = "disabled" });
        await owner.ApiPatchAsync($"orgs/{org.OrgId}/members/{dev.MemberId}", new { projectIds = new[] { org.ProjectQ } });

        var auth = await ApiCalls.AuthenticateBearerAsync(server, org.SecretOf[dev.MemberId]);

        // budgets.md, "Denial": key status first, then the owner's access to the project.
        Assert.Equal(KeyAuthFailure.Disabled, auth.Failure);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task RemoveMember_AllTheirKeysDisabledAtOnce(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        var dev = await TeamSetup.AddMemberAsync(owner, orgId, users[1], OrgRoles.Developer, p);
        var k1 = await dev.Client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = p, name = "one" });
        var k2 = await dev.Client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = p, name = "two" });
        Assert.True((await ApiCalls.AuthenticateBearerAsync(server, k1.Str("key"))).Succeeded);

        var removed = await owner.ApiDeleteAsync($"orgs/{orgId}/members/{dev.MemberId}");

        Assert.Equal(HttpStatusCode.NoContent, removed.Status);
        Assert.Equal(KeyAuthFailure.Disabled, (await ApiCalls.AuthenticateBearerAsync(server, k1.Str("key"))).Failure);
        Assert.Equal(KeyAuthFailure.Disabled, (await ApiCalls.AuthenticateBearerAsync(server, k2.Str("key"))).Failure);
        var keys = await owner.ApiGetAsync($"orgs/{orgId}/keys?memberId={dev.MemberId}");
        Assert.All(keys.Body.GetProperty("data").EnumerateArray(), k => Assert.Equal("disabled", k.GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await dev.Client.ApiGetAsync($"orgs/{orgId}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.ApiGetAsync($"orgs/{orgId}/members/{dev.MemberId}")).Status);
    }

    private static List<string?> Ids(ApiResponse page) =>
        [.. page.Body.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString())];

    private static async Task<ApiResponse> ChatAsync(TollgateServer server, string key)
    {
        using var client = server.CreateClient(key);
        return await client.ApiPostAsync("v1/chat/completions", new
        {
            model = "demo/echo",
            max_tokens = 16,
            messages = new[] { new { role = "user", content = "hello" } },
        });
    }

}
