using System.Net;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Accounts;

public sealed class CrossOrgTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task OtherOrgsIds_NonMember_404AndNothingChanges(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (tokenA, orgA, projectA, keyIdA, keyA) = await AccountSetup.CreateOrgWithKeyAsync(server);
        var (tokenB, orgB, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var a = server.CreateClient(tokenA);
        using var b = server.CreateClient(tokenB);
        var keyBefore = (await a.ApiGetAsync($"orgs/{orgA}/keys/{keyIdA}")).Text;

        var answers = new Dictionary<string, ApiResponse>
        {
            // A's org through its own path.
            ["get org"] = await b.ApiGetAsync($"orgs/{orgA}"),
            ["patch org"] = await b.ApiPatchAsync($"orgs/{orgA}", new { name = "Hijacked" }),
            ["list projects"] = await b.ApiGetAsync($"orgs/{orgA}/projects"),
            ["create project"] = await b.ApiPostAsync($"orgs/{orgA}/projects", new { name = "Intruder" }),
            ["get project"] = await b.ApiGetAsync($"orgs/{orgA}/projects/{projectA}"),
            ["patch project"] = await b.ApiPatchAsync($"orgs/{orgA}/projects/{projectA}", new { name = "Hijacked" }),
            ["delete project"] = await b.ApiDeleteAsync($"orgs/{orgA}/projects/{projectA}"),
            ["list keys"] = await b.ApiGetAsync($"orgs/{orgA}/keys"),
            ["create key"] = await b.ApiPostAsync($"orgs/{orgA}/keys", new { projectId = projectA, name = "Intruder" }),
            ["get key"] = await b.ApiGetAsync($"orgs/{orgA}/keys/{keyIdA}"),
            ["patch key"] = await b.ApiPatchAsync($"orgs/{orgA}/keys/{keyIdA}", new { status = "disabled" }),
            ["rotate key"] = await b.ApiPostAsync($"orgs/{orgA}/keys/{keyIdA}/rotate"),
            ["delete key"] = await b.ApiDeleteAsync($"orgs/{orgA}/keys/{keyIdA}"),
            // A's project and key ids smuggled through B's own org.
            ["get project via own org"] = await b.ApiGetAsync($"orgs/{orgB}/projects/{projectA}"),
            ["patch project via own org"] = await b.ApiPatchAsync($"orgs/{orgB}/projects/{projectA}", new { name = "Hijacked" }),
            ["delete project via own org"] = await b.ApiDeleteAsync($"orgs/{orgB}/projects/{projectA}"),
            ["key in other org's project"] = await b.ApiPostAsync($"orgs/{orgB}/keys", new { projectId = projectA, name = "Intruder" }),
            ["get key via own org"] = await b.ApiGetAsync($"orgs/{orgB}/keys/{keyIdA}"),
            ["patch key via own org"] = await b.ApiPatchAsync($"orgs/{orgB}/keys/{keyIdA}", new { status = "disabled" }),
            ["rotate key via own org"] = await b.ApiPostAsync($"orgs/{orgB}/keys/{keyIdA}/rotate"),
            ["delete key via own org"] = await b.ApiDeleteAsync($"orgs/{orgB}/keys/{keyIdA}"),
        };

        foreach (var (call, answer) in answers)
        {
            Assert.True(answer.Status == HttpStatusCode.NotFound, $"{call}: {(int)answer.Status} {answer.Text}");
            Assert.Equal("application/problem+json", answer.ContentType);
            Assert.DoesNotContain(keyA, answer.Text, StringComparison.Ordinal);
        }

        // Nothing of A's changed, and B sees nothing of A.
        Assert.Equal("Test Org", (await a.ApiGetAsync($"orgs/{orgA}")).Str("name"));
        Assert.Equal("Test Project", (await a.ApiGetAsync($"orgs/{orgA}/projects/{projectA}")).Str("name"));
        Assert.Equal(1, (await a.ApiGetAsync($"orgs/{orgA}/projects")).Body.GetProperty("data").GetArrayLength());
        Assert.Equal(1, (await a.ApiGetAsync($"orgs/{orgA}/keys")).Body.GetProperty("data").GetArrayLength());
        Assert.Equal(keyBefore, (await a.ApiGetAsync($"orgs/{orgA}/keys/{keyIdA}")).Text);
        Assert.True((await ApiCalls.AuthenticateBearerAsync(server, keyA)).Succeeded);
        var orgsOfB = await b.ApiGetAsync("orgs");
        Assert.Equal([orgB], orgsOfB.Body.GetProperty("data").EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        Assert.DoesNotContain(orgA, (await b.ApiGetAsync("me")).Text, StringComparison.Ordinal);
    }
}
