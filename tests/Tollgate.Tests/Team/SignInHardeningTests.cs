using System.Net;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Team;

public sealed class SignInHardeningTests
{
    [Fact]
    public async Task Session_PastItsLifetime_401()
    {
        var clock = new ShiftedTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TollgateServer.StartAsync(
            settings: new Dictionary<string, string?> { ["Tollgate:Auth:SessionDays"] = "2" },
            configure: b => b.Services.AddSingleton<TimeProvider>(clock));
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(server);
        using var client = server.CreateClient(token);

        var fresh = await client.ApiGetAsync("me");
        clock.Advance(TimeSpan.FromDays(2) - TimeSpan.FromMinutes(1));
        var nearlyExpired = await client.ApiGetAsync("me");
        clock.Advance(TimeSpan.FromMinutes(2));
        var expired = await client.ApiGetAsync("me");

        Assert.Equal(HttpStatusCode.OK, fresh.Status);
        Assert.Equal(HttpStatusCode.OK, nearlyExpired.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.Status);
        Assert.Equal(SessionAuthentication.InvalidMessage, expired.Str("detail"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Logout_OnlyThatSessionEnds_OrgRoutesRefuseIt(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var email = AccountSetup.NewEmail();
        var (first, _) = await AccountSetup.SignUpAndLogInAsync(server, email);
        var login = await server.Client.ApiPostAsync("auth/login", new { email, password = AccountSetup.Password });
        var second = login.Str("token");
        using var one = server.CreateClient(first);
        using var two = server.CreateClient(second);
        var orgId = (await one.ApiPostAsync("orgs", new { name = "Org" })).Str("id");

        var logout = await one.ApiPostAsync("auth/logout");
        var afterLogout = await one.ApiGetAsync($"orgs/{orgId}/members");
        var otherSession = await two.ApiGetAsync($"orgs/{orgId}/members");

        Assert.Equal(HttpStatusCode.NoContent, logout.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, afterLogout.Status);
        Assert.Equal(HttpStatusCode.OK, otherSession.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Credentials_OfOneKind_NeverAcceptedWhereAnotherIsExpected(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect, args: "--demo");
        var (token, orgId, _, _, key) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var owner = server.CreateClient(token);
        var invite = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = AccountSetup.NewEmail(), role = "admin" });
        var master = Secrets.MasterKeyPrefix + new string('M', Secrets.RandomLength);

        // Management API: only session tokens.
        foreach (var (credential, detail) in new[]
        {
            (key, SessionAuthentication.ApiKeyMessage),
            (master, SessionAuthentication.MasterKeyMessage),
            (invite.Str("token"), SessionAuthentication.InvalidMessage),
        })
        {
            using var client = server.CreateClient(credential);
            foreach (var path in new[] { "me", $"orgs/{orgId}", $"orgs/{orgId}/members", $"orgs/{orgId}/audit-logs" })
            {
                var answer = await client.ApiGetAsync(path);
                Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
                Assert.Equal(detail, answer.Str("detail"));
            }
        }

        // Gateway: only API keys.
        foreach (var credential in new[] { token, master })
        {
            Assert.Equal(KeyAuthFailure.WrongKind, (await ApiCalls.AuthenticateBearerAsync(server, credential)).Failure);
            using var client = server.CreateClient(credential);
            var chat = await client.ApiPostAsync("v1/chat/completions", new { model = "demo/echo", messages = new[] { new { role = "user", content = "hi" } } });
            Assert.Equal(HttpStatusCode.Unauthorized, chat.Status);
            Assert.Equal("invalid_api_key", chat.Body.GetProperty("error").GetProperty("code").GetString());
        }

        Assert.Equal(KeyAuthFailure.Unknown, (await ApiCalls.AuthenticateBearerAsync(server, invite.Str("token"))).Failure);
    }
}
