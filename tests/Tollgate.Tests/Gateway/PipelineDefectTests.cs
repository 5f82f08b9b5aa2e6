using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Tollgate.Budgets;
using Tollgate.FakeProviders;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Gateway;

/// <summary>Defects of the request path found by reading it, each pinned by a test that failed before its fix.</summary>
public sealed class PipelineDefectTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Clamp_WithAPricierFallback_HoldsForTheProviderThatAnswers()
    {
        // fallback-model: primary $1/$1 (fails), secondary $3/$3. A clamp priced at the primary allowed
        // 1000 output tokens, which the secondary then sold at three times the price, past the cap.
        await using var failing = await FakeProviderServer.StartAsync(new FakeOptions { Status = 500 }).WaitAsync(Timeout);
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Providers:primary:BaseUrl"] = failing.OpenAIBaseUrl("primary") });
        const long cap = 2_000_000_000L; // $0.002
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0.002"}}""");
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fallback-model", "write a lot fake:chunks=1000"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("secondary", response.Headers.GetValues("x-tollgate-provider").Single());
        var clamped = long.Parse(response.Headers.GetValues("x-tollgate-output-clamped").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(clamped, 256, 999);
        var rows = await host.LedgerAsync();
        Assert.Equal(2, rows.Count);
        Assert.Equal(clamped, rows[1].OutputTokens);
        Assert.True(rows.Sum(r => r.CostPico) <= cap, $"charged {rows.Sum(r => r.CostPico)} pico against a cap of {cap}");
    }

    [Fact]
    public async Task N_MultipliesTheWorstCase_SoTenAnswersAreClampedToWhatTheKeyBudgetPays()
    {
        // fake-model: $2.5 / $10 per million, 1000 max output. One answer of 1000 tokens is $0.01; ten are $0.10.
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0.05"}}""");
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions",
            Json("""{"model":"fake-model","n":10,"messages":[{"role":"user","content":"ten answers"}]}"""), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var clamped = long.Parse(response.Headers.GetValues("x-tollgate-output-clamped").Single(), CultureInfo.InvariantCulture);
        // 10 answers × clamped tokens × $10/M must fit in $0.05 with the prompt: at most 500 tokens each.
        Assert.InRange(clamped, 256, 499);
        Assert.Contains($"\"max_completion_tokens\":{clamped}", host.Fake.Requests[^1].Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model":"fake-model","n":0,"messages":[{"role":"user","content":"x"}]}""", "n")]
    [InlineData("""{"model":"fake-model","n":129,"messages":[{"role":"user","content":"x"}]}""", "n")]
    [InlineData("""{"model":"fake-model","max_tokens":1000000000000,"messages":[{"role":"user","content":"x"}]}""", "max_tokens")]
    [InlineData("""{"model":"fake-model","max_completion_tokens":1001,"messages":[{"role":"user","content":"x"}]}""", "max_completion_tokens")]
    public async Task OutputLimitOrAnswersOutOfRange_Is400NamingTheField_NotAnOverflow(string body, string field)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", Json(body), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal(field, error.GetProperty("param").GetString());
        if (field != "n")
        {
            Assert.Contains("1000", error.GetProperty("message").GetString(), StringComparison.Ordinal); // the model's maximum output
        }

        Assert.Empty(host.Fake.Requests);
        Assert.Empty(await host.LedgerAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClientLeavesBeforeTheFirstByte_ThePromptIsChargedAsAnEstimate(bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        using var leave = new CancellationTokenSource(Timeout);

        // The client leaves once the provider has the request (an attempt is open), not after a fixed
        // time: on a busy machine a fixed time can end the request before any attempt starts.
        var post = client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "slow to start fake:latency_ms=5000", stream: stream), leave.Token);
        var deadline = DateTime.UtcNow + Timeout;
        while (host.Fake.Requests.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the request never reached the provider");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => post);

        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal("cancelled", row.Status);
        Assert.True(row.UsageEstimated);
        Assert.True(row.InputTokens > 0);
        Assert.Equal(0, row.OutputTokens);
        Assert.Equal(Money.ToPico(row.InputTokens * 2.5m / 1_000_000m), row.CostPico);
    }

    [Fact]
    public async Task LedgerFailsOnce_TheRequestSucceedsAndIsChargedOnce()
    {
        var ledger = new FlakyLedger(failures: 1);
        await using var host = await GatewayTestHost.StartAsync(configure: b => ledger.Install(b));

        var response = await ChatAsync(host);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.True(row.CostPico > 0);
        Assert.Equal(2, ledger.Calls);
    }

    [Fact]
    public async Task LedgerUnavailableForAWhile_TheChargeLandsLaterAndTheHoldIsKeptUntilItDoes()
    {
        var ledger = new FlakyLedger(failures: 4); // past the inline tries: the charge is retried in the background
        await using var host = await GatewayTestHost.StartAsync(configure: b => ledger.Install(b));
        var memberId = await MemberIdAsync(host);
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget", """{"spend":{"type":"fixed","limit":"1"}}""");

        var response = await ChatAsync(host);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var spend = (await GetAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget")).GetProperty("usage").GetProperty("spend");
        Assert.NotEqual("1", spend.GetProperty("remaining").GetString()); // still held: the caps never show less than was spent
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            spend = (await GetAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget")).GetProperty("usage").GetProperty("spend");
            if (spend.GetProperty("used").GetString() == Money.ToWire(row.CostPico) && spend.GetProperty("remaining").GetString() == Money.ToWire(1_000_000_000_000L - row.CostPico))
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the hold was not released after the charge landed: {spend}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Equal(5, ledger.Calls);
    }

    [Fact]
    public async Task StalledStream_IsEndedByTheIdleTimeoutWithTheTerminalErrorAndSettled()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Tollgate:Streaming:IdleTimeoutSeconds"] = "1",
            ["Tollgate:Streaming:KeepAliveSeconds"] = "0.2",
        });
        using var client = host.GatewayClient();
        var started = DateTime.UtcNow;

        var response = await client.PostAsync("v1/chat/completions",
            GatewayTestHost.ChatBody("fake-model", "stall fake:chunk_delay_ms=20000 fake:chunks=3", stream: true), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).WaitAsync(Timeout);

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "the stream waited for the stalled provider");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(": ping", body, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"stream_idle_timeout\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal("failed", row.Status);
        Assert.True(row.CostPico > 0, "the prompt and what was produced are charged");
    }

    [Fact]
    public async Task StreamingRequest_UpstreamFailsAtOnce_TheClientGetsTheStatusAndTheOfficialSdkRaisesIt()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "fake:status=429", stream: true), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, (await JsonAsync(response)).GetProperty("error").ValueKind);

        var sdk = new ChatClient("fake-model", new ApiKeyCredential(host.Key), new OpenAIClientOptions { Endpoint = host.GatewayV1, NetworkTimeout = Timeout, RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });
        var thrown = await Assert.ThrowsAsync<ClientResultException>(async () =>
        {
            await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage("fake:status=429")]).WithCancellation(TestContext.Current.CancellationToken))
            {
                Assert.Fail($"an update arrived: {update.ContentUpdate.Count}");
            }
        });
        Assert.Equal(429, thrown.Status);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE })] // raw bytes that are not UTF-8, inside the model
    [InlineData(null)]                       // an escaped lone surrogate in a property name
    public async Task InvalidUtf8_Is400InOpenAIFormat(byte[]? badModel)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var body = badModel is null
            ? Encoding.UTF8.GetBytes("""{"model":"fake-model","mo\ud800del":"x","messages":[{"role":"user","content":"x"}]}""")
            : [.. "{\"model\":\""u8, .. badModel, .. "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var response = await client.PostAsync("v1/chat/completions", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_json", (await JsonAsync(response)).GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(await host.LedgerAsync());
    }

    [Theory]
    [InlineData(StatusCodes.Status408RequestTimeout, "request_timeout")]
    [InlineData(StatusCodes.Status413PayloadTooLarge, "request_too_large")]
    public async Task BodyReadEndedByTheServer_IsItsStatusInOpenAIFormat_NotA500(int status, string code)
    {
        // Kestrel ends a body sent below its minimum data rate (408) or past its own size limit (413) by
        // throwing from the read; the reader turns that into the endpoint's error instead of a 500.
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.Body = new ThrowingStream(new BadHttpRequestException("Request body too slow.", status));

        var (bytes, error) = await global::Tollgate.Gateway.Pipeline.RequestBodyReader.ReadBodyAsync(context.Request, 1024, TestContext.Current.CancellationToken);

        Assert.Null(bytes);
        Assert.Equal((status, code), (error!.Status, error.Code));
    }

    [Theory]
    [InlineData("GET", "v1/nothing-here")]
    [InlineData("POST", "v1/chat/completion")]
    [InlineData("GET", "v1/chat/completions")]
    public async Task UnknownV1Route_AnswersInOpenAIFormat(string method, string path)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = method == "POST" ? Json("{}") : null }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal("unknown_url", error.GetProperty("code").GetString());
        Assert.Contains(path, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answers_NameTheModelTheClientAskedFor_NotTheProvidersId()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var plain = await JsonAsync(await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "hi"), TestContext.Current.CancellationToken));
        var streamed = await (await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "hi", stream: true, includeUsage: true), TestContext.Current.CancellationToken))
            .Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal("fake-model", plain.GetProperty("model").GetString());
        var chunks = streamed.Split("\n\n").Where(e => e.StartsWith("data: {", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(chunks);
        Assert.All(chunks, c => Assert.Equal("fake-model", JsonDocument.Parse(c["data: ".Length..]).RootElement.GetProperty("model").GetString()));
        Assert.DoesNotContain("fake-upstream-model", streamed, StringComparison.Ordinal);
    }

    /// <summary>A ledger that fails its first appends as an unavailable disk would, then writes through.</summary>
    private sealed class FlakyLedger(int failures)
    {
        private readonly int _failures = failures;
        private int _calls;

        public int Calls => _calls;

        public void Install(WebApplicationBuilder builder) =>
            builder.Services.AddSingleton<ILedgerAppender>(sp => new Appender(this, sp.GetRequiredService<SpendLedger>()));

        private sealed class Appender(FlakyLedger owner, SpendLedger inner) : ILedgerAppender
        {
            public Task AppendAsync(LedgerEntry entry) =>
                Interlocked.Increment(ref owner._calls) <= owner._failures
                    ? Task.FromException(new IOException("The disk is unavailable."))
                    : inner.AppendAsync(entry);
        }
    }

    /// <summary>A request body whose read fails the way Kestrel fails it.</summary>
    private sealed class ThrowingStream(Exception failure) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromException<int>(failure);

        public override int Read(byte[] buffer, int offset, int count) => throw failure;
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
