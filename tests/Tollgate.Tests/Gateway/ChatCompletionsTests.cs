using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Gateway;

public sealed class ChatCompletionsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static ChatClient Sdk(GatewayTestHost host, string model = "fake-model") =>
        new(model, new ApiKeyCredential(host.Key), new OpenAIClientOptions { Endpoint = host.GatewayV1, NetworkTimeout = TimeSpan.FromSeconds(30) });

    private static long ExpectedPico(long input, long cached, long output, decimal inPrice = 2.5m, decimal cachedPrice = 1.25m, decimal outPrice = 10m) =>
        Money.ToPico(((input - cached) * inPrice + cached * cachedPrice + output * outPrice) / 1_000_000m);

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task NonStreaming_OfficialSdk_AnswersAndLedgerCostIsCatalogPriceTimesTokens(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);

        ChatCompletion completion = await Sdk(host).CompleteChatAsync([new UserChatMessage("Say hello to the ledger")]).WaitAsync(Timeout);

        Assert.Equal("tok0 tok1 tok2 tok3 tok4", completion.Content[0].Text.Trim());
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(completion.Usage.InputTokenCount, row.InputTokens + row.CachedInputTokens);
        Assert.Equal(completion.Usage.OutputTokenCount, row.OutputTokens);
        Assert.Equal(ExpectedPico(completion.Usage.InputTokenCount, 0, completion.Usage.OutputTokenCount), row.CostPico);
        Assert.Equal(("fake-model", "openai", "fake-upstream-model", "ok", 200L), (row.Model, row.Provider, row.ProviderModel, row.Status, row.HttpStatus));
        Assert.Equal((host.KeyId, host.ProjectId, host.OrgId), (row.KeyId, row.ProjectId, row.OrgId));
        Assert.False(row.Streamed);
        Assert.False(row.UsageEstimated);
        // The provider saw the server's credential and its own model id, never the client's key.
        var upstream = host.Fake.Requests[^1];
        Assert.Equal("Bearer sk-server-openai-secret", upstream.Authorization);
        Assert.Contains("\"model\":\"fake-upstream-model\"", upstream.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_OfficialSdk_RelaysEveryTokenAndChargesTheStreamedUsage()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in Sdk(host).CompleteChatStreamingAsync([new UserChatMessage("stream please fake:chunks=7 fake:cached_tokens=2")]).WithCancellation(TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.Equal("tok0 tok1 tok2 tok3 tok4 tok5 tok6", text.ToString().Trim());
        Assert.NotNull(usage);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.True(row.Streamed);
        Assert.Equal(("ok", 7L, 2L), (row.Status, row.OutputTokens, row.CachedInputTokens));
        Assert.Equal(usage.InputTokenCount, row.InputTokens + row.CachedInputTokens);
        Assert.Equal(ExpectedPico(usage.InputTokenCount, 2, usage.OutputTokenCount), row.CostPico);
    }

    [Fact]
    public async Task Streaming_ClientDidNotAskForUsage_UsageIsReadButTheUsageChunkIsNotForwarded()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "hi", stream: true), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/event-stream", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("\"prompt_tokens\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Contains("\"include_usage\":true", host.Fake.Requests[^1].Body, StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(5, row.OutputTokens);
        Assert.False(row.UsageEstimated);
    }

    [Fact]
    public async Task Streaming_ClientAskedForUsage_UsageChunkIsForwarded()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "hi", stream: true, includeUsage: true), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Contains("\"prompt_tokens\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_SlowUpstream_SendsPingKeepaliveBeforeTheFirstEventAndBetweenEvents()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Streaming:KeepAliveSeconds"] = "0.2" });
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions",
            GatewayTestHost.ChatBody("fake-model", "slow fake:latency_ms=700 fake:chunk_delay_ms=500 fake:chunks=2", stream: true), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith(": ping\n\n", body, StringComparison.Ordinal);
        var firstData = body.IndexOf("data:", StringComparison.Ordinal);
        var lastData = body.LastIndexOf("\"tok1", StringComparison.Ordinal);
        Assert.Contains(": ping", body[firstData..lastData], StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_SlowUpstreamWithKeepalives_OfficialSdkParsesTheStream()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Streaming:KeepAliveSeconds"] = "0.1" });

        var text = new StringBuilder();
        await foreach (var update in Sdk(host).CompleteChatStreamingAsync([new UserChatMessage("fake:latency_ms=350 fake:chunk_delay_ms=250 fake:chunks=3")]).WithCancellation(TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal("tok0 tok1 tok2", text.ToString().Trim());
    }

    [Fact]
    public async Task Streaming_UpstreamCutMidStream_EndsWithErrorChunkAndDoneAndChargesWhatWasProduced()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions",
            GatewayTestHost.ChatBody("fake-model", "fake:chunks=10 fake:cut_after=3", stream: true), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("tok2", body, StringComparison.Ordinal);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        using var error = JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("error").GetProperty("message").GetString()));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal("failed", row.Status);
        Assert.True(row.UsageEstimated);
        Assert.True(row.OutputTokens > 0);
        Assert.True(row.CostPico > 0);
    }

    [Fact]
    public async Task Streaming_ClientDisconnects_CancelsUpstreamAndChargesTheTokensProduced()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = GatewayTestHost.ChatBody("fake-model", "fake:chunks=200 fake:chunk_delay_ms=50", stream: true),
        };

        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken))
        {
            await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
            var buffer = new byte[4096];
            var seen = "";
            while (!seen.Contains("tok3", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout);
                seen += Encoding.UTF8.GetString(buffer, 0, read);
            }
        } // disposing the response aborts the connection

        var rows = await host.WaitForLedgerAsync(1);
        var row = Assert.Single(rows);
        Assert.Equal("cancelled", row.Status);
        Assert.True(row.Cancelled);
        Assert.True(row.OutputTokens is >= 4 and < 200, $"output tokens {row.OutputTokens}");
        Assert.True(row.CostPico > 0);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (host.Fake.Stats.Cancelled == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, host.Fake.Stats.Cancelled);
        Assert.Equal(0, host.Fake.Stats.Completed);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(429)]
    [InlineData(0)] // nothing listens: connection refused
    public async Task Fallback_FirstProviderFails_SecondProviderServesAndEachAttemptIsALedgerRow(int primaryStatus)
    {
        await using var failing = await global::Tollgate.FakeProviders.FakeProviderServer.StartAsync(new global::Tollgate.FakeProviders.FakeOptions { Status = primaryStatus });
        var primaryUrl = primaryStatus == 0 ? "http://127.0.0.1:1/v1" : failing.OpenAIBaseUrl("primary");
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Providers:primary:BaseUrl"] = primaryUrl });
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fallback-model", "fall back"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("secondary", response.Headers.GetValues("x-tollgate-provider").Single());
        var rows = await host.LedgerAsync();
        Assert.Equal(2, rows.Count);
        Assert.Equal(("primary", 1L, (long)primaryStatus, 0L), (rows[0].Provider, rows[0].Attempt, rows[0].HttpStatus, rows[0].CostPico));
        Assert.Equal(primaryStatus == 0 ? "failed" : "upstream_error", rows[0].Status);
        Assert.Equal(("secondary", 2L, "ok"), (rows[1].Provider, rows[1].Attempt, rows[1].Status));
        Assert.True(rows[1].CostPico > 0);
        Assert.Equal(rows[0].RequestId, rows[1].RequestId);
        Assert.Equal(response.Headers.GetValues("x-tollgate-request-id").Single(), rows[0].RequestId);
    }

    [Fact]
    public async Task UpstreamClientError_PassesThroughWithItsStatusAndOpenAIBody()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "fake:status=400"), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.True(json.RootElement.GetProperty("error").TryGetProperty("message", out _));
        Assert.DoesNotContain("sk-server-openai-secret", body, StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("upstream_error", 400L, 0L), (row.Status, row.HttpStatus, row.CostPico));
    }

    [Fact]
    public async Task OfficialSdk_UpstreamError_SurfacesAsClientResultExceptionWithStatus()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var ex = await Assert.ThrowsAsync<ClientResultException>(() =>
            Sdk(host).CompleteChatAsync([new UserChatMessage("fake:status=429")]).WaitAsync(Timeout));

        Assert.Equal(429, ex.Status);
    }

    public static TheoryData<string, string?, string?, HttpStatusCode, string> BadRequests => new()
    {
        { "missing key", null, """{"model":"fake-model","messages":[{"role":"user","content":"x"}]}""", HttpStatusCode.Unauthorized, "invalid_api_key" },
        { "unknown key", "tgk_nosuchkeynosuchkeynosuchkeynosuchkey00", """{"model":"fake-model","messages":[{"role":"user","content":"x"}]}""", HttpStatusCode.Unauthorized, "invalid_api_key" },
        { "malformed json", "", """{"model":"fake-model","messages":[""", HttpStatusCode.BadRequest, "invalid_json" },
        { "no messages", "", """{"model":"fake-model"}""", HttpStatusCode.BadRequest, "missing_required_parameter" },
        { "repeated model", "", """{"model":"fake-model","messages":[{"role":"user","content":"x"}],"model":"other-model"}""", HttpStatusCode.BadRequest, "invalid_json" },
        { "bad max_tokens", "", """{"model":"fake-model","max_tokens":-3,"messages":[{"role":"user","content":"x"}]}""", HttpStatusCode.BadRequest, "invalid_value" },
        { "unknown model", "", """{"model":"no-such-model","messages":[{"role":"user","content":"x"}]}""", HttpStatusCode.NotFound, "model_not_found" },
        { "unavailable model", "", """{"model":"suspended-model","messages":[{"role":"user","content":"x"}]}""", HttpStatusCode.NotFound, "model_not_available" },
        { "unpriced model", "", """{"model":"request-priced-model","messages":[{"role":"user","content":"x"}]}""", HttpStatusCode.BadRequest, "model_not_priced" },
        { "embedding model", "", """{"model":"embed-model","messages":[{"role":"user","content":"x"}]}""", HttpStatusCode.BadRequest, "model_not_supported" },
        { "pinned unknown model", "", """{"model":"anthropic/claude-sonnet-5","messages":[{"role":"user","content":"x"}]}""", HttpStatusCode.NotFound, "model_not_found" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_AnswersOpenAIErrorAndIsNeverBilledNorSentUpstream(string _, string? key, string? body, HttpStatusCode status, string code)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.Server.CreateClient(key == "" ? host.Key : key);

        var response = await client.PostAsync("v1/chat/completions", new StringContent(body!, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(status, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(code, json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("error").GetProperty("message").GetString()));
        Assert.True(response.Headers.Contains("x-tollgate-request-id"));
        Assert.Empty(await host.LedgerAsync());
        Assert.Equal(0, host.Fake.Stats.Requests);
    }

    [Fact]
    public async Task OversizeBody_Answers413AndIsNotBilled()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Gateway:MaxRequestBytes"] = "1000" });
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", new string('x', 2000)), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("request_too_large", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task WrongContentType_Answers415AndIsNotBilled()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", new StringContent("model=fake-model", Encoding.UTF8, "application/x-www-form-urlencoded"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("unsupported_media_type", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Empty(await host.LedgerAsync());
    }

    [Theory]
    [InlineData("2026-08-31T23:59:59.999Z", "2", "10")]
    [InlineData("2026-09-01T00:00:00Z", "3", "15")]
    public async Task PriceSchedule_CostUsesThePriceInForceAtTheRequestStart(string now, string input, string output)
    {
        var clock = new ShiftedTimeProvider(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        await using var host = await GatewayTestHost.StartAsync(clock: clock);
        clock.Freeze(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture)); // start-up took time

        ChatCompletion completion = await Sdk(host, "scheduled-model").CompleteChatAsync([new UserChatMessage("price check")]).WaitAsync(Timeout);

        var row = Assert.Single(await host.LedgerAsync());
        var expected = Money.ToPico((completion.Usage.InputTokenCount * decimal.Parse(input, System.Globalization.CultureInfo.InvariantCulture)
            + completion.Usage.OutputTokenCount * decimal.Parse(output, System.Globalization.CultureInfo.InvariantCulture)) / 1_000_000m);
        Assert.Equal(expected, row.CostPico);
    }

    [Fact]
    public async Task ProviderPinnedInModelName_RoutesToThatProvider()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("secondary/fallback-model", "pin"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("secondary", response.Headers.GetValues("x-tollgate-provider").Single());
        Assert.Equal("secondary", Assert.Single(await host.LedgerAsync()).Provider);
    }

    [Fact]
    public async Task Models_ListsCatalogModelsOfConfiguredProvidersInOpenAIFormat()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var models = new List<string>();
        foreach (var model in (await new OpenAIClient(new ApiKeyCredential(host.Key), new OpenAIClientOptions { Endpoint = host.GatewayV1 })
            .GetOpenAIModelClient().GetModelsAsync(TestContext.Current.CancellationToken)).Value)
        {
            models.Add(model.Id);
        }

        Assert.Contains("fake-model", models);
        Assert.Contains("fallback-model", models);
        Assert.DoesNotContain("claude-sonnet-5", models);
    }

    [Fact]
    public async Task Demo_BuiltInDemoProvider_StreamsCannedTextWithUsage()
    {
        await using var server = await TollgateServer.StartAsync(args: "--demo");
        var (_, _, _, _, key) = await AccountSetup.CreateOrgWithKeyAsync(server).WaitAsync(Timeout);
        var sdk = new ChatClient("demo/echo", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage("hello")]).WithCancellation(TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.StartsWith("Hello from Tollgate!", text.ToString(), StringComparison.Ordinal);
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount > 0);
    }
}
