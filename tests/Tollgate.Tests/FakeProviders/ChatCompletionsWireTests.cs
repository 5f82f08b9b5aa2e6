using System.Net;
using System.Text.Json;
using Tollgate.FakeProviders;

namespace Tollgate.Tests.FakeProviders;

/// <summary>The Chat Completions wire format, byte for byte where it matters, over raw HTTP.</summary>
public sealed class ChatCompletionsWireTests
{
    private static readonly TimeSpan Timeout = FakeHttp.Timeout;

    [Fact]
    public async Task Stream_WithoutIncludeUsage_FramesChunksAndEndsWithDone()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.Body(stream: true));
        var (events, error) = await FakeHttp.ReadEventsAsync(response);

        Assert.Null(error);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.Equal(1 + 5 + 1, chunks.Count);
        Assert.All(chunks, c =>
        {
            Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString());
            Assert.Equal("gpt-test", c.GetProperty("model").GetString());
            Assert.Equal(chunks[0].GetProperty("id").GetString(), c.GetProperty("id").GetString());
            Assert.False(c.TryGetProperty("usage", out _));
        });
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var content = string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : null));
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", content);
        Assert.Equal("stop", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Null, chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").ValueKind);
    }

    [Fact]
    public async Task Stream_WithIncludeUsage_NullUsageOnEveryChunkThenUsageChunkBeforeDone()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { Chunks = 3 }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(
            client, FakeHttp.Body("Hello!", stream: true, includeUsage: true), "cerebras/v1/chat/completions", ("x-fake-reasoning-tokens", "2"));
        var (events, error) = await FakeHttp.ReadEventsAsync(response);

        Assert.Null(error);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.Equal(1 + 3 + 1 + 1, chunks.Count);
        Assert.All(chunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));
        var last = chunks[^1];
        Assert.Equal(0, last.GetProperty("choices").GetArrayLength());
        var usage = last.GetProperty("usage");
        Assert.Equal(2, usage.GetProperty("prompt_tokens").GetInt32()); // "Hello!" is 6 bytes.
        Assert.Equal(3 + 2, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(2 + 5, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(2, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        await FakeHttp.WaitUntilAsync(() => server.Stats.CompletedFor("cerebras") == 1);
    }

    [Fact]
    public async Task Stream_IncludeUsageFalse_SendsNoUsageChunk()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.Body(stream: true, includeUsage: false));
        var (events, _) = await FakeHttp.ReadEventsAsync(response);

        Assert.Equal(7, events.Count - 1);
        Assert.DoesNotContain(events, e => e.Contains("usage", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_OmitUsageHeader_SendsNoUsageDespiteIncludeUsage()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(
            client, FakeHttp.Body(stream: true, includeUsage: true), "openai/v1/chat/completions", ("x-fake-omit-usage", "true"));
        var (events, error) = await FakeHttp.ReadEventsAsync(response);

        Assert.Null(error);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(7, events.Count - 1);
        Assert.DoesNotContain(events, e => e.Contains("usage", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Completion_OmitUsage_HasNoUsageProperty()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { OmitUsage = true }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.Body());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));

        Assert.Equal("chat.completion", json.RootElement.GetProperty("object").GetString());
        Assert.False(json.RootElement.TryGetProperty("usage", out _));
    }

    [Fact]
    public async Task Stream_CutAfterDirective_AbortsWithoutDoneAndCountsFailed()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.Body("Tell me fake:cut_after=2", stream: true, includeUsage: true));
        var (events, error) = await FakeHttp.ReadEventsAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(error);
        Assert.Equal(1 + 2, events.Count); // role chunk and two content chunks, nothing after
        Assert.DoesNotContain("[DONE]", events);
        Assert.DoesNotContain(events, e => e.Contains("finish_reason\":\"", StringComparison.Ordinal));
        await FakeHttp.WaitUntilAsync(() => server.Stats.Failed == 1);
        Assert.Equal(0, server.Stats.Completed);
        Assert.Equal(0, server.Stats.Cancelled);
    }

    [Fact]
    public async Task Completion_MaxTokens_StopsAtLimitWithFinishReasonLength()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.Body(extra: ",\"max_tokens\":3"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));

        var choice = json.RootElement.GetProperty("choices")[0];
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal("tok0 tok1 tok2 ", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_MaxCompletionTokensAboveChunks_FinishesWithStop()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.Body(stream: true, extra: ",\"max_completion_tokens\":5"));
        var (events, _) = await FakeHttp.ReadEventsAsync(response);

        Assert.Contains("\"finish_reason\":\"stop\"", events[^2], StringComparison.Ordinal);
        Assert.Equal(1 + 5 + 1, events.Count - 1);
    }

    [Fact]
    public async Task Directive_InArrayContentOfLastUserMessage_OverridesDefaults()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);
        const string Body = """
            {"model":"m","messages":[
              {"role":"user","content":"fake:chunks=9"},
              {"role":"assistant","content":"ok"},
              {"role":"user","content":[{"type":"text","text":"Look:"},{"type":"image_url","image_url":{"url":"data:,"}},{"type":"text","text":"fake:chunks=2 fake:cached_tokens=100"}]}]}
            """;

        using var response = await FakeHttp.PostAsync(client, Body);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));

        var usage = json.RootElement.GetProperty("usage");
        Assert.Equal("tok0 tok1 ", json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        // 13 + 2 + 5 + 36 = 56 bytes of text → 14 prompt tokens; cached tokens never exceed them.
        Assert.Equal(14, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(14, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task Directive_InBody_WinsOverHeader()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(
            client, FakeHttp.Body("fake:chunks=1"), "openai/v1/chat/completions", ("x-fake-chunks", "3"), ("x-fake-cached-tokens", "1"));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));

        Assert.Equal("tok0 ", json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
    }

    [Fact]
    public async Task Stats_CompletedRequests_CountedInTotalAndPerProvider()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        foreach (var path in new[] { "v1/chat/completions", "openai/v1/chat/completions", "groq/v1/chat/completions" })
        {
            using var response = await FakeHttp.PostAsync(client, FakeHttp.Body(stream: path.StartsWith("groq", StringComparison.Ordinal)), path);
            await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        }

        await FakeHttp.WaitUntilAsync(() => server.Stats.Completed == 3);
        Assert.Equal(3, server.Stats.Requests);
        Assert.Equal(2, server.Stats.CompletedFor("openai"));
        Assert.Equal(1, server.Stats.CompletedFor("groq"));
        Assert.Equal(0, server.Stats.CompletedFor("mistral"));
        Assert.Equal(0, server.Stats.Failed + server.Stats.Cancelled);
        Assert.Equal(["openai", "openai", "groq"], server.Requests.Select(r => r.Provider));
        Assert.Equal("/groq/v1/chat/completions", server.Requests[^1].Path);
        Assert.Equal("Bearer k", server.Requests[^1].Authorization);
        Assert.Equal(FakeHttp.Body(stream: true), server.Requests[^1].Body);

        server.Stats.Reset();
        Assert.Equal(0, server.Stats.Requests);
        Assert.Equal(0, server.Stats.CompletedFor("openai"));
    }

    [Fact]
    public async Task Stream_ClientDisconnects_CountsCancelled()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { ChunkDelayMs = 100, Chunks = 50 }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using (var response = await FakeHttp.PostAsync(client, FakeHttp.Body(stream: true)))
        {
            using var stream = await response.Content.ReadAsStreamAsync().WaitAsync(Timeout);
            var buffer = new byte[64];
            Assert.True(await stream.ReadAsync(buffer).AsTask().WaitAsync(Timeout) > 0);
        }

        await FakeHttp.WaitUntilAsync(() => server.Stats.Cancelled == 1);
        Assert.Equal(0, server.Stats.Completed + server.Stats.Failed);
    }

    [Fact]
    public async Task RequireApiKey_WrongKey_Returns401InvalidApiKey()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { RequireApiKey = "sk-right-key" }).WaitAsync(Timeout);
        using var wrong = FakeHttp.CreateClient(server, "sk-wrong-key");
        using var right = FakeHttp.CreateClient(server, "sk-right-key");

        using var rejected = await FakeHttp.PostAsync(wrong, FakeHttp.Body());
        using var accepted = await FakeHttp.PostAsync(right, FakeHttp.Body());
        using var error = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync().WaitAsync(Timeout));

        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var body = error.RootElement.GetProperty("error");
        Assert.Equal("invalid_api_key", body.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", body.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("param").ValueKind);
        Assert.DoesNotContain("sk-wrong-key", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingAuthorization_Returns401()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.Body());
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("API key", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        await FakeHttp.WaitUntilAsync(() => server.Stats.Failed == 1);
    }

    [Theory]
    [InlineData("{not json", null)]
    [InlineData("""{"model":"m"}""", "messages")]
    [InlineData("""{"model":"m","messages":[],"stream_options":{"include_usage":true}}""", "stream_options")]
    [InlineData("""{"model":"m","messages":[],"max_tokens":0}""", "max_tokens")]
    public async Task BadBody_Returns400InvalidRequestError(string body, string? param)
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(client, body);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = error.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", detail.GetProperty("type").GetString());
        Assert.Equal(param, detail.GetProperty("param").GetString());
        Assert.Equal(body, Assert.Single(server.Requests).Body);
    }

    [Fact]
    public async Task StatusHeader_429_ReturnsRateLimitError()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.Body(stream: true), "openai/v1/chat/completions", ("x-fake-status", "429"));
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync().WaitAsync(Timeout));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("rate_limit_exceeded", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        await FakeHttp.WaitUntilAsync(() => server.Stats.FailedFor("openai") == 1);
    }

    [Fact]
    public async Task Models_AnyProvider_ListsModels()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var json = JsonDocument.Parse(await client.GetStringAsync(new Uri("mistral/v1/models", UriKind.Relative)).WaitAsync(Timeout));

        Assert.Equal("list", json.RootElement.GetProperty("object").GetString());
        Assert.All(json.RootElement.GetProperty("data").EnumerateArray(), m => Assert.Equal("mistral", m.GetProperty("owned_by").GetString()));
    }

    [Fact]
    public async Task UnknownPath_Returns404InvalidUrl()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await FakeHttp.PostAsync(client, "{}", "openai/v1/nothing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Invalid URL (POST /openai/v1/nothing)", await response.Content.ReadAsStringAsync().WaitAsync(Timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlApi_StatsAndReset_ReportAndClearCounters()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);
        using (var response = await FakeHttp.PostAsync(client, FakeHttp.Body(), "deepseek/v1/chat/completions"))
        {
            await response.Content.ReadAsStringAsync().WaitAsync(Timeout);
        }

        await FakeHttp.WaitUntilAsync(() => server.Stats.Completed == 1);
        using var stats = JsonDocument.Parse(await client.GetStringAsync(new Uri("_fake/stats", UriKind.Relative)).WaitAsync(Timeout));
        using var reset = await client.PostAsync(new Uri("_fake/reset", UriKind.Relative), null).WaitAsync(Timeout);

        Assert.Equal(1, stats.RootElement.GetProperty("completed").GetInt64());
        Assert.Equal(1, stats.RootElement.GetProperty("providers").GetProperty("deepseek").GetProperty("requests").GetInt64());
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
        Assert.Equal(0, server.Stats.Requests);
        Assert.Empty(server.Requests);
    }
}
