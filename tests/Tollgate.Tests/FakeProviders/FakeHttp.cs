using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tollgate.FakeProviders;

namespace Tollgate.Tests.FakeProviders;

/// <summary>Raw HTTP helpers for talking to a <see cref="FakeProviderServer"/> without an SDK.</summary>
internal static class FakeHttp
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static HttpClient CreateClient(FakeProviderServer server, string? bearer = "k")
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Timeout };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    /// <summary>A request body with one user message whose content is <paramref name="text"/>.</summary>
    public static string Body(string text = "Hello!", bool stream = false, bool? includeUsage = null, string extra = "")
    {
        var streamOptions = includeUsage is { } include ? $$""","stream_options":{"include_usage":{{(include ? "true" : "false")}}}""" : string.Empty;
        return $$"""{"model":"gpt-test","messages":[{"role":"user","content":"{{text}}"}],"stream":{{(stream ? "true" : "false")}}{{streamOptions}}{{extra}}}""";
    }

    public static async Task<HttpResponseMessage> PostAsync(
        HttpClient client, string body, string path = "openai/v1/chat/completions", params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
    }

    /// <summary>
    /// Reads an SSE body to its end: the payload of each <c>data:</c> event, and the exception that
    /// ended the read early, if any. Checks the framing on the way: each event is one <c>data: </c>
    /// line followed by a blank line.
    /// </summary>
    public static async Task<(List<string> Events, Exception? Error)> ReadEventsAsync(HttpResponseMessage response)
    {
        var events = new List<string>();
        try
        {
            using var stream = await response.Content.ReadAsStreamAsync().WaitAsync(Timeout);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync().WaitAsync(Timeout) is { } line)
            {
                Assert.StartsWith("data: ", line, StringComparison.Ordinal);
                events.Add(line["data: ".Length..]);
                var blank = await reader.ReadLineAsync().WaitAsync(Timeout);
                Assert.Equal(string.Empty, blank);
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return (events, ex);
        }

        return (events, null);
    }

    /// <summary>The headers an Anthropic client sends: <c>x-api-key</c> and <c>anthropic-version</c>.</summary>
    public static readonly (string Name, string Value)[] AnthropicHeaders = [("x-api-key", "sk-ant-k"), ("anthropic-version", "2023-06-01")];

    /// <summary>A Messages body with one user message whose content is <paramref name="text"/>.</summary>
    public static string MessagesBody(string text = "Hello!", bool stream = false, string extra = "") =>
        $$"""{"model":"claude-test","max_tokens":1024,"messages":[{"role":"user","content":"{{text}}"}],"stream":{{(stream ? "true" : "false")}}{{extra}}}""";

    /// <summary>A Responses body whose <c>input</c> is the string <paramref name="text"/>.</summary>
    public static string ResponsesBody(string text = "Hello!", bool stream = false, string extra = "") =>
        $$"""{"model":"gpt-test","input":"{{text}}","stream":{{(stream ? "true" : "false")}}{{extra}}}""";

    /// <summary>
    /// Reads a named-event SSE body (Anthropic, Responses) to its end: each event's name and parsed
    /// <c>data</c>, and the exception that ended the read early, if any. Checks the framing on the way:
    /// <c>event: {name}</c>, one <c>data: </c> line, a blank line, and a data <c>type</c> equal to the name.
    /// </summary>
    public static async Task<(List<(string Name, JsonElement Data)> Events, Exception? Error)> ReadNamedEventsAsync(HttpResponseMessage response)
    {
        var events = new List<(string, JsonElement)>();
        try
        {
            using var stream = await response.Content.ReadAsStreamAsync().WaitAsync(Timeout);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync().WaitAsync(Timeout) is { } line)
            {
                Assert.StartsWith("event: ", line, StringComparison.Ordinal);
                var name = line["event: ".Length..];
                var data = await reader.ReadLineAsync().WaitAsync(Timeout);
                Assert.NotNull(data);
                Assert.StartsWith("data: ", data, StringComparison.Ordinal);
                var json = JsonDocument.Parse(data["data: ".Length..]).RootElement.Clone();
                Assert.Equal(name, json.GetProperty("type").GetString());
                Assert.Equal(string.Empty, await reader.ReadLineAsync().WaitAsync(Timeout));
                events.Add((name, json));
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return (events, ex);
        }

        return (events, null);
    }

    /// <summary>Reads a JSON body.</summary>
    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout)).RootElement.Clone();

    /// <summary>Waits until <paramref name="condition"/> holds: the fake counts an outcome just after the client sees it.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, cts.Token);
        }
    }
}
