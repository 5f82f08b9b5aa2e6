using System.Net;
using System.Text;
using System.Text.Json;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Providers;

/// <summary>
/// Mistral through the OpenAI-compatible path: the request is rewritten into Mistral's dialect (its
/// fake, like Mistral, refuses OpenAI-only fields with 422), and the usage Mistral streams in its
/// last chunk is what is charged.
/// </summary>
public sealed class MistralDialectTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // An OpenAI-shaped request with the fields where Mistral differs.
    private const string OpenAIShaped = """
        {"model":"mistral-test","stream":true,"stream_options":{"include_usage":true},"seed":42,
         "max_completion_tokens":300,"user":"end-user-7","store":false,"safe_prompt":true,"tool_choice":"any",
         "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{}}}}],
         "messages":[{"role":"user","content":"hello fake:chunks=4"}]}
        """;

    [Fact]
    public async Task TheFake_RefusesTheOpenAIShapedRequest_AsMistralDoes()
    {
        await using var fake = await global::Tollgate.FakeProviders.FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var http = new HttpClient { Timeout = Timeout };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "k");

        using var response = await http.PostAsync(fake.OpenAIBaseUrl("mistral-ai") + "/chat/completions",
            new StringContent(OpenAIShaped, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        foreach (var field in new[] { "stream_options", "seed", "max_completion_tokens", "user", "store" })
        {
            Assert.Contains($"\"{field}\"", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ChatCompletions_ToMistral_SpeaksItsDialect_AndChargesTheUsageOfTheLastChunk()
    {
        await using var fake = await global::Tollgate.FakeProviders.FakeProviderServer.StartAsync().WaitAsync(Timeout);
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Tollgate:Providers:mistral:BaseUrl"] = fake.OpenAIBaseUrl("mistral-ai"),
            ["Tollgate:Providers:mistral:ApiKey"] = "mistral-server-key",
        });
        using var client = host.GatewayClient();

        using var response = await client.PostAsync("v1/chat/completions", new StringContent(OpenAIShaped, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("mistral", response.Headers.GetValues("x-tollgate-provider").Single());
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        var upstream = fake.Requests.Single();
        Assert.Equal("/mistral-ai/v1/chat/completions", upstream.Path);
        Assert.Equal("Bearer mistral-server-key", upstream.Authorization);
        var sent = JsonDocument.Parse(upstream.Body).RootElement;
        Assert.Equal("mistral-small-latest", sent.GetProperty("model").GetString());
        Assert.Equal(42, sent.GetProperty("random_seed").GetInt32());
        Assert.Equal(300, sent.GetProperty("max_tokens").GetInt32());
        Assert.True(sent.GetProperty("safe_prompt").GetBoolean());
        Assert.Equal("any", sent.GetProperty("tool_choice").GetString());
        foreach (var gone in new[] { "seed", "max_completion_tokens", "stream_options", "user", "store" })
        {
            Assert.False(sent.TryGetProperty(gone, out _), $"{gone} was sent to Mistral");
        }

        // The usage came in the last chunk, with the finish reason: the charge is exact, not estimated.
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal("ok", row.Status);
        Assert.False(row.UsageEstimated);
        Assert.Equal(4, row.OutputTokens);
        Assert.True(row.InputTokens > 0);
        Assert.Equal((row.InputTokens * 100_000L) + (4 * 300_000L), row.CostPico); // $0.10 / $0.30 per million
    }

    [Fact]
    public async Task Messages_ToMistral_IsTranslatedIntoItsDialect()
    {
        await using var fake = await global::Tollgate.FakeProviders.FakeProviderServer.StartAsync().WaitAsync(Timeout);
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Tollgate:Providers:mistral:BaseUrl"] = fake.OpenAIBaseUrl("mistral-ai"),
            ["Tollgate:Providers:mistral:ApiKey"] = "mistral-server-key",
        });
        using var client = host.GatewayClient();
        var body = """{"model":"mistral-test","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"hi fake:chunks=3"}]}""";

        using var response = await client.PostAsync("v1/messages", new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Contains("event: message_stop", text, StringComparison.Ordinal);
        Assert.False(JsonDocument.Parse(fake.Requests.Single().Body).RootElement.TryGetProperty("stream_options", out _));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.False(row.UsageEstimated);
        Assert.Equal(3, row.OutputTokens);
    }
}
