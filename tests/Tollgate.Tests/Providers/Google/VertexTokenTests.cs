using System.Net;
using Microsoft.Extensions.Time.Testing;
using Tollgate.FakeProviders;
using Tollgate.Providers.Google;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Providers.Google;

/// <summary>
/// Vertex access tokens from a service account: the JWT grant the fake verifies, one fetch shared by
/// concurrent requests, the token kept while fresh and replaced before it expires.
/// </summary>
public sealed class VertexTokenTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static int Grants(FakeProviderServer fake) => fake.Requests.Count(r => r.Path == "/token");

    [Fact]
    public async Task GetToken_ConcurrentCallers_ShareOneGrant()
    {
        await using var fake = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        fake.Options.LatencyMs = 0;
        var account = TestServiceAccount.For(fake);
        var source = new VertexTokenSource(TimeProvider.System);

        var tokens = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => source.GetTokenAsync(account.Json, CancellationToken.None).AsTask())).WaitAsync(Timeout);

        Assert.Single(tokens.Distinct());
        Assert.StartsWith("ya29.fake-", tokens[0], StringComparison.Ordinal);
        Assert.Equal(1, Grants(fake));
    }

    [Fact]
    public async Task GetToken_KeptWhileFresh_ReplacedBeforeItExpires()
    {
        await using var fake = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        fake.Options.GoogleTokenLifetimeSeconds = 3600;
        var account = TestServiceAccount.For(fake);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var source = new VertexTokenSource(clock);

        var first = await source.GetTokenAsync(account.Json, CancellationToken.None).AsTask().WaitAsync(Timeout);
        clock.Advance(TimeSpan.FromMinutes(30));
        var half = await source.GetTokenAsync(account.Json, CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.Equal(first, half);
        Assert.Equal(1, Grants(fake));

        // Two minutes before the hour is up the token still works, yet a fresh one is fetched.
        clock.Advance(TimeSpan.FromMinutes(28));
        var deadline = DateTime.UtcNow + Timeout;
        string late;
        do
        {
            late = await source.GetTokenAsync(account.Json, CancellationToken.None).AsTask().WaitAsync(Timeout);
        }
        while (late == first && DateTime.UtcNow < deadline && await Task.Delay(20, TestContext.Current.CancellationToken).ContinueWith(_ => true));

        Assert.NotEqual(first, late);
        Assert.Equal(2, Grants(fake));
    }

    [Fact]
    public async Task GetToken_KeyTheFakeDoesNotKnow_IsRefusedWith401AndNoToken()
    {
        await using var fake = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var stranger = System.Security.Cryptography.RSA.Create(2048);
        var signedByAnotherKey = TestServiceAccount.For(fake, register: true, key: stranger); // registered with the shared key's public half
        var source = new VertexTokenSource(TimeProvider.System);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => source.GetTokenAsync(signedByAnotherKey.Json, CancellationToken.None).AsTask()).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("Invalid JWT Signature", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_ConcurrentVertexRequests_FetchOneTokenAndAllSucceed()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody(i % 2 == 0 ? "gemini-vertex-test" : "claude-vertex-test", $"Hi {i}"), TestContext.Current.CancellationToken)))
            .WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, Grants(host.Fake));
        Assert.Single(host.Fake.Requests.Where(r => r.Provider == "vertex").Select(r => r.Authorization).Distinct());
    }
}
