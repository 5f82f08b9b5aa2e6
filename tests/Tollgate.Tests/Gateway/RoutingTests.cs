using System.Net;
using System.Text;
using Tollgate.Catalog;
using Tollgate.FakeProviders;
using Tollgate.Gateway.Routing;
using Tollgate.Providers;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Gateway;

/// <summary>
/// Routing a model-only request (gateway.md, "Routing and fallback"): cheapest available mapping at
/// the request's start first, then the lower recent error rate among equal prices; a mapping that
/// failed repeatedly goes last until it recovers; availability windows hold to their instants.
/// </summary>
public sealed class RoutingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private const string EqualPrices = """
        {"models":[{"id":"routing-equal","kind":"chat","maxOutputTokens":100,"providers":[
          {"provider":"primary","providerModelId":"p","prices":[{"inputPerMillion":"2","outputPerMillion":"2"}]},
          {"provider":"secondary","providerModelId":"s","prices":[{"inputPerMillion":"2","outputPerMillion":"2"}]}]}]}
        """;

    private static (ModelRouter Router, ShiftedTimeProvider Clock) Router(string catalogJson)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tollgate:Providers:primary:BaseUrl"] = "http://127.0.0.1:9/primary/v1",
            ["Tollgate:Providers:secondary:BaseUrl"] = "http://127.0.0.1:9/secondary/v1",
        }).Build();
        var clock = new ShiftedTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
        clock.Freeze(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
        var catalog = ModelCatalog.LoadFrom(new MemoryStream(Encoding.UTF8.GetBytes(catalogJson)));
        return (new ModelRouter(catalog, new ProviderDirectory(configuration, demo: false), new MappingHealth(clock)), clock);
    }

    private static List<string> Order(ModelRouter router, string model, DateTimeOffset at)
    {
        var (candidates, error) = router.Resolve(model, "chat", "chat completions", _ => true, at);
        Assert.Null(error);
        return candidates.Select(c => c.Endpoint.Name).ToList();
    }

    [Fact]
    public void ModelOnly_TheCheapestMappingGoesFirst_WhateverTheCatalogOrder()
    {
        var (router, clock) = Router(GatewayTestHost.CatalogJson);

        Assert.Equal(["primary", "secondary"], Order(router, "routing-cheapest", clock.GetUtcNow()));
        Assert.Equal(["secondary"], Order(router, "secondary/routing-cheapest", clock.GetUtcNow()));
    }

    [Fact]
    public void EqualPrices_TheLowerRecentErrorRateGoesFirst_AndOldErrorsFade()
    {
        var (router, clock) = Router(EqualPrices);
        var now = clock.GetUtcNow();
        Assert.Equal(["primary", "secondary"], Order(router, "routing-equal", now)); // no history: catalog order

        router.Health.Record(MappingHealth.Key("primary", "p"), failed: true);
        router.Health.Record(MappingHealth.Key("primary", "p"), failed: false);
        router.Health.Record(MappingHealth.Key("secondary", "s"), failed: false);

        Assert.Equal(["secondary", "primary"], Order(router, "routing-equal", now));

        // Ten half-lives later the failure weighs a thousandth of what it did: the two are equal again.
        clock.Freeze(now + (MappingHealth.HalfLife * 10));
        Assert.True(router.Health.ErrorRate(MappingHealth.Key("primary", "p")) < 0.01);
        Assert.Equal(["primary", "secondary"], Order(router, "routing-equal", clock.GetUtcNow()));
    }

    [Fact]
    public void RepeatedFailures_PutTheCheapestMappingLast_UntilItRecovers()
    {
        var (router, clock) = Router(GatewayTestHost.CatalogJson);
        var start = clock.GetUtcNow();
        var cheap = MappingHealth.Key("primary", "p-cheap");
        for (var i = 0; i < MappingHealth.TrippedAfter - 1; i++)
        {
            router.Health.Record(cheap, failed: true);
        }

        Assert.Equal(["primary", "secondary"], Order(router, "routing-cheapest", start)); // two failures: still by price

        router.Health.Record(cheap, failed: true);
        Assert.Equal(["secondary", "primary"], Order(router, "routing-cheapest", start));

        // Just before the retry delay it is still last; at it, it is probed in its usual place again.
        clock.Freeze(start + MappingHealth.RetryAfter - TimeSpan.FromTicks(1));
        Assert.Equal(["secondary", "primary"], Order(router, "routing-cheapest", clock.GetUtcNow()));
        clock.Freeze(start + MappingHealth.RetryAfter);
        Assert.Equal(["primary", "secondary"], Order(router, "routing-cheapest", clock.GetUtcNow()));

        // Failing again trips it again; one success is recovery.
        router.Health.Record(cheap, failed: true);
        Assert.Equal(["secondary", "primary"], Order(router, "routing-cheapest", clock.GetUtcNow()));
        router.Health.Record(cheap, failed: false);
        Assert.Equal(["primary", "secondary"], Order(router, "routing-cheapest", clock.GetUtcNow()));
    }

    [Fact]
    public void AvailabilityWindows_HoldToTheirInstants()
    {
        var (router, _) = Router(GatewayTestHost.CatalogJson);
        var suspended = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var back = new DateTimeOffset(2026, 6, 15, 0, 0, 0, TimeSpan.Zero);
        var tick = TimeSpan.FromTicks(1);

        Assert.Equal(["primary", "secondary"], Order(router, "routing-window", suspended - tick));
        Assert.Equal(["secondary"], Order(router, "routing-window", suspended));
        Assert.Equal(["secondary"], Order(router, "routing-window", back - tick));
        Assert.Equal(["primary", "secondary"], Order(router, "routing-window", back));

        var (pinned, error) = router.Resolve("primary/routing-window", "chat", "chat completions", _ => true, suspended);
        Assert.Empty(pinned);
        Assert.Equal(404, error!.Status);
        Assert.Equal("model_not_available", error.Code);
        Assert.Equal(["primary"], Order(router, "primary/routing-window", back));
    }

    [Fact]
    public async Task Gateway_ModelOnly_TheCheapestProviderAnswers()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        using var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("routing-cheapest", "hi"), TestContext.Current.CancellationToken).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("primary", response.Headers.GetValues("x-tollgate-provider").Single());
        Assert.Equal("primary", host.Fake.Requests.Single().Provider);
        Assert.Equal("p-cheap", Assert.Single(await host.LedgerAsync()).ProviderModel);
    }

    [Fact]
    public async Task Gateway_SuspendedMapping_FallsToTheOtherProvider_PinnedIs404_AndItComesBackOnTime()
    {
        var clock = new ShiftedTimeProvider(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
        await using var host = await GatewayTestHost.StartAsync(clock: clock);
        using var client = host.GatewayClient();

        using var during = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("routing-window", "hi"), TestContext.Current.CancellationToken).WaitAsync(Timeout);
        using var pinned = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("primary/routing-window", "hi"), TestContext.Current.CancellationToken).WaitAsync(Timeout);
        clock.SetUtcNow(new DateTimeOffset(2026, 6, 15, 0, 0, 0, TimeSpan.Zero));
        using var after = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("routing-window", "hi"), TestContext.Current.CancellationToken).WaitAsync(Timeout);

        Assert.Equal("secondary", during.Headers.GetValues("x-tollgate-provider").Single());
        Assert.Equal(HttpStatusCode.NotFound, pinned.StatusCode);
        Assert.Contains("model_not_available", await pinned.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal("primary", after.Headers.GetValues("x-tollgate-provider").Single());
        Assert.Equal(["secondary", "primary"], host.Fake.Requests.Select(r => r.Provider));
    }

    [Fact]
    public async Task Gateway_AFailingProvider_IsTriedLastAfterRepeatedFailures_WithALedgerRowPerAttempt()
    {
        await using var failing = await FakeProviderServer.StartAsync(new FakeOptions { Status = 503 }).WaitAsync(Timeout);
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Providers:primary:BaseUrl"] = failing.OpenAIBaseUrl("primary") });
        using var client = host.GatewayClient();

        for (var i = 0; i < MappingHealth.TrippedAfter + 1; i++)
        {
            using var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fallback-model", "hi"), TestContext.Current.CancellationToken).WaitAsync(Timeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("secondary", response.Headers.GetValues("x-tollgate-provider").Single());
        }

        // Three requests tried the cheaper primary first (a failed row, then the secondary's); the
        // fourth went straight to the secondary.
        var rows = await host.LedgerAsync();
        Assert.Equal(
            ["primary", "secondary", "primary", "secondary", "primary", "secondary", "secondary"],
            rows.Select(r => r.Provider));
        Assert.Equal(MappingHealth.TrippedAfter, failing.Requests.Count);
        Assert.All(rows.Where(r => r.Provider == "primary"), r => Assert.Equal("upstream_error", r.Status));
    }

    [Fact]
    public async Task ProjectRoutingSetting_DefaultsToPrice_AndUnknownValuesAre400()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var owner = host.Server.CreateClient(host.Token);
        var path = $"orgs/{host.OrgId}/projects/{host.ProjectId}";

        var read = await owner.ApiGetAsync(path);
        var set = await owner.ApiPatchAsync(path, new { routing = "price" });
        var unknown = await owner.ApiPatchAsync(path, new { routing = "fastest" });

        Assert.Equal("price", read.Str("routing"));
        Assert.Equal(HttpStatusCode.OK, set.Status);
        Assert.Equal("price", set.Str("routing"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal(["routing"], unknown.ErrorFields);
    }
}
