using System.Net;
using Dapper;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Accounts;

public sealed class SignInTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task SignUpLogInMeLogOut_FullCycle_TokenStopsWorkingAfterLogout(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var email = AccountSetup.NewEmail();

        var signup = await server.Client.ApiPostAsync("auth/signup", new { email = email.ToUpperInvariant(), password = "password123", name = " Ada " });
        Assert.Equal(HttpStatusCode.Created, signup.Status);
        var user = signup.Body.GetProperty("user");
        Assert.StartsWith("usr_", user.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal("Ada", user.GetProperty("name").GetString());
        Assert.False(signup.Body.TryGetProperty("password", out _));

        var login = await server.Client.ApiPostAsync("auth/login", new { email, password = "password123" });
        Assert.Equal(HttpStatusCode.OK, login.Status);
        var token = login.Str("token");
        Assert.StartsWith("tgs_", token, StringComparison.Ordinal);
        Assert.Equal(44, token.Length);
        Assert.Equal(user.GetProperty("id").GetString(), login.Body.GetProperty("user").GetProperty("id").GetString());

        using var client = server.CreateClient(token);
        var me = await client.ApiGetAsync("me");
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal(email, me.Body.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(0, me.Body.GetProperty("memberships").GetArrayLength());

        var logout = await client.ApiPostAsync("auth/logout");
        Assert.Equal(HttpStatusCode.NoContent, logout.Status);

        var after = await client.ApiGetAsync("me");
        Assert.Equal(HttpStatusCode.Unauthorized, after.Status);
        Assert.Equal("application/problem+json", after.ContentType);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task SignUp_SameEmailInOtherCase_Conflict(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var email = AccountSetup.NewEmail();
        var first = await server.Client.ApiPostAsync("auth/signup", new { email, password = "password123", name = "One" });
        Assert.Equal(HttpStatusCode.Created, first.Status);

        var second = await server.Client.ApiPostAsync("auth/signup", new { email = email.ToUpperInvariant(), password = "password456", name = "Two" });

        Assert.Equal(HttpStatusCode.Conflict, second.Status);
        Assert.Equal("application/problem+json", second.ContentType);
        // The first account is untouched: its password still works.
        var login = await server.Client.ApiPostAsync("auth/login", new { email, password = "password123" });
        Assert.Equal(HttpStatusCode.OK, login.Status);
        Assert.Equal("One", login.Body.GetProperty("user").GetProperty("name").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task SignUp_ConcurrentSameEmail_ExactlyOneCreated(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var email = AccountSetup.NewEmail();

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            server.Client.ApiPostAsync("auth/signup", new { email, password = "password123", name = $"N{i}" })));

        Assert.Single(answers, a => a.Status == HttpStatusCode.Created);
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.Conflict, a.Status));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task SignUp_Password_StoredAsSaltedPbkdf2Only(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var email = AccountSetup.NewEmail();
        await server.Client.ApiPostAsync("auth/signup", new { email, password = "password123", name = "P" });
        await server.Client.ApiPostAsync("auth/signup", new { email = AccountSetup.NewEmail(), password = "password123", name = "Q" });

        var database = server.App.Services.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync();
        var hashes = (await connection.QueryAsync<string>("SELECT password_hash FROM users")).ToList();

        Assert.Equal(2, hashes.Count);
        Assert.All(hashes, h => Assert.Matches(@"^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$", h));
        Assert.NotEqual(hashes[0], hashes[1]); // same password, different salts
        Assert.All(hashes, h => Assert.DoesNotContain("password123", h, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignUp_BadInput_400WithErrorsPerField()
    {
        await using var server = await TollgateServer.StartAsync();

        var bad = await server.Client.ApiPostAsync("auth/signup", new { email = "not-an-email", password = "short", name = "  " });
        var missing = await server.Client.ApiPostAsync("auth/signup", new { unknownField = 1 });

        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("application/problem+json", bad.ContentType);
        Assert.Equal(["email", "name", "password"], bad.ErrorFields.Order(StringComparer.Ordinal));
        Assert.Equal(400, bad.Body.GetProperty("status").GetInt32());
        Assert.Contains("password must be at least 8 characters.", bad.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Equal(["email", "name", "password"], missing.ErrorFields.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SignUp_Closed_Forbidden()
    {
        await using var server = await TollgateServer.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Auth:AllowSignup"] = "false" });

        var signup = await server.Client.ApiPostAsync("auth/signup", new { email = AccountSetup.NewEmail(), password = "password123", name = "X" });

        Assert.Equal(HttpStatusCode.Forbidden, signup.Status);
        Assert.Equal("application/problem+json", signup.ContentType);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task LogIn_FiveFailures_ThrottledWith429AndRetryAfter(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var email = AccountSetup.NewEmail();
        await server.Client.ApiPostAsync("auth/signup", new { email, password = "password123", name = "T" });

        for (var i = 0; i < 5; i++)
        {
            var wrong = await server.Client.ApiPostAsync("auth/login", new { email, password = "wrong-password" });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
            Assert.Equal("Invalid email or password.", wrong.Str("detail"));
        }

        // Even the right password is refused while throttled; another email is not affected.
        var throttled = await server.Client.ApiPostAsync("auth/login", new { email, password = "password123" });
        var other = await server.Client.ApiPostAsync("auth/login", new { email = AccountSetup.NewEmail(), password = "whatever1" });

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.Status);
        Assert.Equal("application/problem+json", throttled.ContentType);
        var retryAfter = throttled.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 15 * 60);
        Assert.Equal(HttpStatusCode.Unauthorized, other.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task LogIn_UnknownEmail_SameAnswerAsWrongPassword(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);

        var login = await server.Client.ApiPostAsync("auth/login", new { email = AccountSetup.NewEmail(), password = "password123" });
        var empty = await server.Client.ApiPostAsync("auth/login", new { email = "" });

        Assert.Equal(HttpStatusCode.Unauthorized, login.Status);
        Assert.Equal("Invalid email or password.", login.Str("detail"));
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);
        Assert.Equal(["email", "password"], empty.ErrorFields.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task LogIn_SetsHttpOnlyLaxCookie_CookieAuthenticates()
    {
        await using var server = await TollgateServer.StartAsync();
        var email = AccountSetup.NewEmail();
        await server.Client.ApiPostAsync("auth/signup", new { email, password = "password123", name = "Cookie" });

        var login = await server.Client.ApiPostAsync("auth/login", new { email, password = "password123" });

        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("tollgate_session=" + login.Str("token") + ";", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Add("Cookie", "tollgate_session=" + login.Str("token"));
        var me = await client.ApiGetAsync("me");
        Assert.Equal(HttpStatusCode.OK, me.Status);
        Assert.Equal(email, me.Body.GetProperty("user").GetProperty("email").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task ManagementApi_ApiKey_RefusedWith401AndReason(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (_, orgId, _, _, key) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(key);

        var me = await client.ApiGetAsync("me");
        var org = await client.ApiGetAsync($"orgs/{orgId}");
        var create = await client.ApiPostAsync("orgs", new { name = "Nope" });

        foreach (var answer in new[] { me, org, create })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
            Assert.Equal("application/problem+json", answer.ContentType);
            Assert.Equal("API keys are not accepted on the management API; sign in and use a session token.", answer.Str("detail"));
        }
    }

    [Fact]
    public async Task ManagementApi_NoOrBadCredential_401()
    {
        await using var server = await TollgateServer.StartAsync();
        using var bogus = server.CreateClient("tgs_" + new string('a', 40));

        var none = await server.Client.ApiGetAsync("me");
        var invalid = await bogus.ApiGetAsync("orgs");
        var logout = await server.Client.ApiPostAsync("auth/logout");

        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Contains("Sign in", none.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, invalid.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, logout.Status);
    }
}
