using System.Text;
using Tollgate.Catalog;
using Tollgate.Gateway.Streaming;
using Tollgate.Providers.OpenAI;

namespace Tollgate.Tests.Providers;

public sealed class OpenAIUsageReaderTests
{
    [Fact]
    public void Inspect_CompletionWithCachedAndReasoningTokens_SplitsThemOut()
    {
        var json = """
            {"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":100,"completion_tokens":40,"total_tokens":140,
               "prompt_tokens_details":{"cached_tokens":30,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":25}}}
            """u8;

        var info = OpenAIUsageReader.Inspect(json);

        Assert.True(info.HasUsage);
        Assert.Equal(new TokenUsage(70, 30, 0, 15, 25), info.Usage);
        Assert.Equal(5, info.ContentBytes);
    }

    [Fact]
    public void Inspect_ChunkWithNullUsage_HasNoUsageAndCountsDeltaContent()
    {
        var info = OpenAIUsageReader.Inspect("""{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"abc"}}],"usage":null}"""u8);

        Assert.False(info.HasUsage);
        Assert.Equal(3, info.ContentBytes);
        Assert.False(info.ChoicesEmpty);
    }

    [Fact]
    public void Inspect_UsageOnlyChunk_IsRecognised()
    {
        var info = OpenAIUsageReader.Inspect("""{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}"""u8);

        Assert.True(info.HasUsage);
        Assert.True(info.ChoicesEmpty);
        Assert.Equal(new TokenUsage(9, 0, 0, 3, 0), info.Usage);
    }

    [Fact]
    public void Inspect_ToolCallArguments_CountAsGeneratedOutput()
    {
        var info = OpenAIUsageReader.Inspect("""{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":1}"}}]}}]}"""u8);

        Assert.True(info.ContentBytes > 0);
    }

    [Fact]
    public void Inspect_MalformedJson_ReportsNothing() => Assert.False(OpenAIUsageReader.Inspect("{\"usage\":{\"prompt"u8).HasUsage);

    [Theory]
    [InlineData("data: {\"a\":1}\n\ndata: [DONE]\n\n", 15)]
    [InlineData("data: {\"a\":1}\r\n\r\nrest", 17)]
    [InlineData(": ping\n\n", 8)]
    public void SseEvents_TryFindEnd_FindsTheBlankLine(string text, int expected)
    {
        Assert.True(SseEvents.TryFindEnd(Encoding.UTF8.GetBytes(text), out var length));
        Assert.Equal(expected, length);
    }

    [Fact]
    public void SseEvents_IncompleteEvent_IsNotCut() => Assert.False(SseEvents.TryFindEnd("data: {\"a\":"u8, out _));

    [Fact]
    public void SseEvents_Data_ReturnsTheDataLinePayload()
    {
        Assert.Equal("[DONE]", Encoding.UTF8.GetString(SseEvents.Data("data: [DONE]\n\n"u8)));
        Assert.Equal("{}", Encoding.UTF8.GetString(SseEvents.Data("event: x\ndata:{}\r\n\r\n"u8)));
        Assert.True(SseEvents.Data(": ping\n\n"u8).IsEmpty);
    }
}
