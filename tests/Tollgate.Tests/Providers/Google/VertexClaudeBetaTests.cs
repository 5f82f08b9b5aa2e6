using System.Net;
using System.Text;
using System.Text.Json;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Providers.Google;

/// <summary>
/// <c>/v1/messages</c> passed through to Claude: a client's <c>anthropic-beta</c> reaches Anthropic and
/// Vertex rawPredict as the header both take; Anthropic gets the client's <c>anthropic-version</c>,
/// Vertex its own version in the body and no version header.
/// </summary>
public sealed class VertexClaudeBetaTests
{
    private const string Betas = "context-1m-2025-08-07,interleaved-thinking-2025-05-14";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(HttpStatusCode Status, string Text)> MessagesAsync(GatewayTestHost host, string model, bool stream, string? beta)
    {
        using var client = host.GatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Content = new StringContent(
                JsonSerializer.Serialize(new { model, stream, max_tokens = 100, messages = new[] { new { role = "user", content = "Hi fake:chunks=2" } } }),
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        if (beta is not null)
        {
            request.Headers.Add("anthropic-beta", beta);
        }

        using var response = await client.SendAsync(request, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Beta_ToClaudeOnVertex_IsTheAnthropicBetaHeaderOfRawPredict_AndTheVersionStaysInTheBody(bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync();

        var (status, text) = await MessagesAsync(host, "claude-vertex-test", stream, Betas);

        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Contains("tok1", text, StringComparison.Ordinal);
        var upstream = host.Fake.Requests.Last(r => r.Provider == "vertex");
        Assert.EndsWith(stream ? ":streamRawPredict" : ":rawPredict", upstream.Path, StringComparison.Ordinal);
        Assert.Equal(Betas, upstream.Header("anthropic-beta"));
        Assert.Null(upstream.Header("anthropic-version"));
        using var sent = JsonDocument.Parse(upstream.Body);
        Assert.Equal("vertex-2023-10-16", sent.RootElement.GetProperty("anthropic_version").GetString());
        Assert.False(sent.RootElement.TryGetProperty("anthropic_beta", out _));
        Assert.Equal("ok", Assert.Single(await host.WaitForLedgerAsync(1)).Status);
    }

    [Fact]
    public async Task NoBeta_ToClaudeOnVertex_SendsNoBetaHeader()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var (status, text) = await MessagesAsync(host, "claude-vertex-test", stream: false, beta: null);

        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Null(host.Fake.Requests.Last(r => r.Provider == "vertex").Header("anthropic-beta"));
    }

    [Fact]
    public async Task Beta_ToAnthropic_PassesWithTheClientsVersion()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var (status, text) = await MessagesAsync(host, "claude-test", stream: true, Betas);

        Assert.True(status == HttpStatusCode.OK, text);
        var upstream = host.Fake.Requests.Last(r => r.Provider == "anthropic");
        Assert.Equal(Betas, upstream.Header("anthropic-beta"));
        Assert.Equal("2023-06-01", upstream.Header("anthropic-version"));
    }
}
