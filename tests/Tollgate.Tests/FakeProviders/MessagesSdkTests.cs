using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Tollgate.FakeProviders;

namespace Tollgate.Tests.FakeProviders;

/// <summary>The official Anthropic .NET SDK, with response validation on, parses everything the Messages fake sends.</summary>
public sealed class MessagesSdkTests
{
    private static readonly TimeSpan Timeout = FakeHttp.Timeout;

    private static AnthropicClient CreateClient(FakeProviderServer server, bool authToken = false) =>
        new(new ClientOptions
        {
            BaseUrl = server.AnthropicBaseUrl(),
            ApiKey = authToken ? null : "sk-ant-k",
            AuthToken = authToken ? "sk-ant-k" : null,
            MaxRetries = 0,
            Timeout = Timeout,
            ResponseValidation = true,
        });

    private static Tool WeatherTool() => new()
    {
        Name = "get_weather",
        Description = "Weather for a city",
        InputSchema = new InputSchema
        {
            Properties = new Dictionary<string, JsonElement>
            {
                ["city"] = JsonSerializer.SerializeToElement(new { type = "string" }),
                ["days"] = JsonSerializer.SerializeToElement(new { type = "integer" }),
            },
            Required = ["city"],
        },
    };

    [Fact]
    public async Task Create_Text_ParsesMessageAndUsage()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { CachedTokens = 2, CacheWriteTokens = 1 }).WaitAsync(Timeout);
        var client = CreateClient(server);

        // 9 + 26 = 35 bytes of text → 9 prompt tokens: 2 read from the cache, 1 written, 6 plain.
        var message = await client.Messages.Create(new MessageCreateParams
        {
            MaxTokens = 256,
            Model = "claude-test",
            System = "Be brief.",
            Messages = [new UserMessageParam("What is 2+2? Say it short.")],
        }).WaitAsync(Timeout);

        Assert.StartsWith("msg_", message.ID, StringComparison.Ordinal);
        Assert.Equal("claude-test", message.Model.Raw());
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", string.Concat(message.Content.Select(c => c.Value).OfType<TextBlock>().Select(t => t.Text)));
        Assert.Equal(6, message.Usage.InputTokens);
        Assert.Equal(2, message.Usage.CacheReadInputTokens);
        Assert.Equal(1, message.Usage.CacheCreationInputTokens);
        Assert.Equal(5, message.Usage.OutputTokens);
        var recorded = Assert.Single(server.Requests);
        Assert.Equal("/anthropic/v1/messages", recorded.Path);
        Assert.False(string.IsNullOrEmpty(recorded.Header("anthropic-version")));
    }

    [Fact]
    public async Task Create_ApiKeyOrAuthToken_BothArriveAsBearerAndAreAccepted()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { RequireApiKey = "sk-ant-k" }).WaitAsync(Timeout);
        var parameters = new MessageCreateParams { MaxTokens = 16, Model = "claude-test", Messages = [new UserMessageParam("Hi")] };

        await CreateClient(server).Messages.Create(parameters).WaitAsync(Timeout);
        await CreateClient(server, authToken: true).Messages.Create(parameters).WaitAsync(Timeout);

        // This SDK version sends either credential as a bearer token, never as x-api-key.
        Assert.All(server.Requests, r => Assert.Equal("Bearer sk-ant-k", r.Authorization));
        Assert.All(server.Requests, r => Assert.Null(r.Header("x-api-key")));
    }

    [Fact]
    public async Task CreateStreaming_ThinkingAndText_YieldsDeltasAndAggregatesTheMessage()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { Chunks = 3 }).WaitAsync(Timeout);
        var client = CreateClient(server);
        var parameters = new MessageCreateParams
        {
            MaxTokens = 2048,
            Model = "claude-test",
            Thinking = new ThinkingConfigEnabled { BudgetTokens = 1024 },
            Messages = [new UserMessageParam("Think, then count.")],
        };

        var thinking = new List<string>();
        var text = new List<string>();
        var signatures = 0;
        long? outputTokens = null;
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var update in client.Messages.CreateStreaming(parameters, cts.Token))
        {
            if (update.TryPickContentBlockDelta(out var delta))
            {
                if (delta.Delta.TryPickThinking(out var thought))
                {
                    thinking.Add(thought.Thinking);
                }
                else if (delta.Delta.TryPickText(out var piece))
                {
                    text.Add(piece.Text);
                }
                else if (delta.Delta.TryPickSignature(out _))
                {
                    signatures++;
                }
            }
            else if (update.TryPickDelta(out var messageDelta))
            {
                outputTokens = messageDelta.Usage.OutputTokens;
            }
        }

        var aggregated = await client.Messages.CreateStreaming(parameters, cts.Token).Aggregate().WaitAsync(Timeout);

        Assert.Equal(["think0 ", "think1 ", "think2 "], thinking);
        Assert.Equal(["tok0 ", "tok1 ", "tok2 "], text);
        Assert.Equal(1, signatures);
        Assert.Equal(3 + 3, outputTokens);
        var blocks = aggregated.Content.Select(c => c.Value).ToList();
        var thinkingBlock = Assert.IsType<ThinkingBlock>(blocks[0]);
        Assert.Equal("think0 think1 think2 ", thinkingBlock.Thinking);
        Assert.False(string.IsNullOrEmpty(thinkingBlock.Signature));
        Assert.Equal("tok0 tok1 tok2 ", Assert.IsType<TextBlock>(blocks[1]).Text);
        Assert.Equal("end_turn", aggregated.StopReason?.Raw());
        Assert.Equal(6, aggregated.Usage.OutputTokens);
    }

    [Fact]
    public async Task Create_ToolChoiceAny_ReturnsToolUseThenTextAfterTheToolResult()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        var client = CreateClient(server);

        var call = await client.Messages.Create(new MessageCreateParams
        {
            MaxTokens = 256,
            Model = "claude-test",
            Tools = [WeatherTool()],
            ToolChoice = new ToolChoiceAny(),
            Messages = [new UserMessageParam("Weather in Paris?")],
        }).WaitAsync(Timeout);
        var toolUse = Assert.IsType<ToolUseBlock>(Assert.Single(call.Content).Value);
        var answer = await client.Messages.Create(new MessageCreateParams
        {
            MaxTokens = 256,
            Model = "claude-test",
            Tools = [WeatherTool()],
            ToolChoice = new ToolChoiceAny(),
            Messages =
            [
                new UserMessageParam("Weather in Paris?"),
                new AssistantMessageParam(new List<ContentBlockParam> { new ToolUseBlockParam { ID = toolUse.ID, Name = toolUse.Name, Input = toolUse.Input } }),
                new UserMessageParam(new List<ContentBlockParam> { new ToolResultBlockParam(toolUse.ID) { Content = "Sunny" } }),
            ],
        }).WaitAsync(Timeout);

        Assert.Equal("tool_use", call.StopReason?.Raw());
        Assert.Equal("get_weather", toolUse.Name);
        Assert.Equal("fake", toolUse.Input["city"].GetString());
        Assert.Equal(1, toolUse.Input["days"].GetInt32());
        Assert.Equal("end_turn", answer.StopReason?.Raw());
        Assert.IsType<TextBlock>(Assert.Single(answer.Content).Value);
    }

    [Fact]
    public async Task CreateStreaming_ToolUse_AggregatesTheInputFromJsonDeltas()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { ToolCall = true }).WaitAsync(Timeout);
        var client = CreateClient(server);
        using var cts = new CancellationTokenSource(Timeout);

        var message = await client.Messages.CreateStreaming(
            new MessageCreateParams
            {
                MaxTokens = 256,
                Model = "claude-test",
                Tools = [WeatherTool()],
                Messages = [new UserMessageParam("Weather in Paris?")],
            },
            cts.Token).Aggregate().WaitAsync(Timeout);

        var toolUse = Assert.IsType<ToolUseBlock>(Assert.Single(message.Content).Value);
        Assert.Equal("get_weather", toolUse.Name);
        Assert.Equal("fake", toolUse.Input["city"].GetString());
        Assert.Equal("tool_use", message.StopReason?.Raw());
        Assert.Equal(6, message.Usage.OutputTokens); // {"city":"fake","days":1} is 24 bytes.
    }

    [Fact]
    public async Task CountTokens_ReturnsThePromptTokens()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        var client = CreateClient(server);

        var count = await client.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = "claude-test",
            Messages = [new UserMessageParam("What is 2+2? Say it short.")],
        }).WaitAsync(Timeout);

        Assert.Equal(7, count.InputTokens); // 26 bytes.
    }

    [Theory]
    [InlineData(429)]
    [InlineData(529)]
    public async Task Create_StatusKnob_ThrowsApiExceptionWithTheStatus(int status)
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { Status = status }).WaitAsync(Timeout);
        var client = CreateClient(server);

        var ex = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.Messages.Create(new MessageCreateParams
        {
            MaxTokens = 16,
            Model = "claude-test",
            Messages = [new UserMessageParam("Hi")],
        })).WaitAsync(Timeout);

        Assert.Equal(status, (int)ex.StatusCode);
        Assert.Contains(status == 429 ? "rate_limit_error" : "overloaded_error", ex.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateStreaming_ErrorEventMidStream_ThrowsSseExceptionAfterTheFirstDeltas()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { ErrorAfterChunks = 2 }).WaitAsync(Timeout);
        var client = CreateClient(server);
        var text = new List<string>();
        using var cts = new CancellationTokenSource(Timeout);

        var ex = await Assert.ThrowsAsync<AnthropicSseException>(async () =>
        {
            await foreach (var update in client.Messages.CreateStreaming(
                new MessageCreateParams { MaxTokens = 16, Model = "claude-test", Messages = [new UserMessageParam("Hi")] }, cts.Token))
            {
                if (update.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
                {
                    text.Add(piece.Text);
                }
            }
        }).WaitAsync(Timeout);

        Assert.Equal(["tok0 ", "tok1 "], text);
        Assert.Contains("overloaded_error", ex.Message, StringComparison.Ordinal);
    }
}
