using System.Net;
using System.Text.Json;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Operations;

/// <summary>
/// Login throttling per account and address: a guesser is slowed down, a password sprayer is stopped
/// across accounts, and the owner with the right password from their own address still gets in.
/// Addresses come from <c>X-Forwarded-For</c>, trusted from the test's 127.0.0.1 as a known proxy.
/// </summary>
public sealed class LoginThrottleTests
{
    private static Task<RawAnswer> LogInAsync(TollgateServer server, string email, string password, string address) =>
        RawCalls.SendAsync(server.Client, HttpMethod.Post, "auth/login", JsonSerializer.SerializeToUtf8Bytes(new { email, password }),
            headers: [new("X-Forwarded-For", address)]);

    private static async Task<TollgateServer> StartAsync() =>
        await TollgateServer.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Http:KnownProxies"] = "127.0.0.1" });

    [Fact]
    public async Task Guesser_FiveWrongPasswords_IsThrottled_ButTheOwnerFromTheirAddressGetsIn()
    {
        await using var server = await StartAsync();
        var email = AccountSetup.NewEmail();
        await AccountSetup.SignUpAndLogInAsync(server, email);
        Assert.Equal(HttpStatusCode.OK, (await LogInAsync(server, email, AccountSetup.Password, "198.51.100.7")).Status);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LogInAsync(server, email, "wrong-password", "203.0.113.9")).Status);
        }

        var guesserWithRightPassword = await LogInAsync(server, email, AccountSetup.Password, "203.0.113.9");
        var owner = await LogInAsync(server, email, AccountSetup.Password, "198.51.100.7");

        Assert.Equal(HttpStatusCode.TooManyRequests, guesserWithRightPassword.Status);
        Assert.Equal(HttpStatusCode.OK, owner.Status);
    }

    [Fact]
    public async Task Sprayer_OneAddressAcrossManyAccounts_IsThrottledForEveryAccount()
    {
        await using var server = await StartAsync();
        var victim = AccountSetup.NewEmail();
        await AccountSetup.SignUpAndLogInAsync(server, victim);

        // One wrong password per account, never five for any one of them.
        for (var i = 0; i < Tollgate.Accounts.LoginThrottle.MaxAddressFailures; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LogInAsync(server, AccountSetup.NewEmail(), "Spring2026!", "203.0.113.50")).Status);
        }

        var sprayed = await LogInAsync(server, victim, "Spring2026!", "203.0.113.50");
        var elsewhere = await LogInAsync(server, victim, AccountSetup.Password, "198.51.100.8");

        Assert.Equal(HttpStatusCode.TooManyRequests, sprayed.Status);
        Assert.Equal(HttpStatusCode.OK, elsewhere.Status);
    }

    [Fact]
    public async Task ManyAddresses_OneAccount_LockNewAddressesOut_NotTheOwnersKnownOne()
    {
        await using var server = await StartAsync();
        var email = AccountSetup.NewEmail();
        await AccountSetup.SignUpAndLogInAsync(server, email);
        Assert.Equal(HttpStatusCode.OK, (await LogInAsync(server, email, AccountSetup.Password, "198.51.100.9")).Status);

        for (var i = 0; i < Tollgate.Accounts.LoginThrottle.MaxAccountFailures; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LogInAsync(server, email, "wrong-password", $"203.0.{i / 200}.{i % 200 + 1}")).Status);
        }

        var newAddress = await LogInAsync(server, email, AccountSetup.Password, "192.0.2.77");
        var owner = await LogInAsync(server, email, AccountSetup.Password, "198.51.100.9");

        Assert.Equal(HttpStatusCode.TooManyRequests, newAddress.Status);
        Assert.Equal(HttpStatusCode.OK, owner.Status);
    }
}
