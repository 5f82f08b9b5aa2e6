using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using Tollgate.FakeProviders;

namespace Tollgate.Tests.FakeProviders;

/// <summary>The official OpenAI .NET SDK parses everything the fake sends.</summary>
public sealed class ChatCompletionsSdkTests
{
    private static readonly TimeSpan Timeout = FakeHttp.Timeout;

    private static ChatClient CreateClient(FakeProviderServer server, string provider = "openai") =>
        new("gpt-test", new ApiKeyCredential("k"), new OpenAIClientOptions
        {
            Endpoint = new Uri(server.OpenAIBaseUrl(provider)),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout,
        });

    [Fact]
    public async Task ChatClient_NonStreaming_ParsesCompletionWithUsage()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { CachedTokens = 2, ReasoningTokens = 3 }).WaitAsync(Timeout);
        var client = CreateClient(server);

        // 9 + 26 = 35 bytes of message text → ceil(35 / 4) = 9 prompt tokens.
        ChatCompletion completion = await client.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("What is 2+2? Say it short.")]).WaitAsync(Timeout);

        Assert.Equal("gpt-test", completion.Model);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", Assert.Single(completion.Content).Text);
        Assert.Equal(9, completion.Usage.InputTokenCount);
        Assert.Equal(5 + 3, completion.Usage.OutputTokenCount);
        Assert.Equal(9 + 8, completion.Usage.TotalTokenCount);
        Assert.Equal(2, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(3, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public async Task ChatClient_Streaming_YieldsTokensAndUsage()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { Chunks = 4, CachedTokens = 1 }).WaitAsync(Timeout);
        var client = CreateClient(server, "mistral");

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finishReason = null;
        var updates = 0;
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Count to four.")], cancellationToken: cts.Token))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finishReason ??= update.FinishReason;
            usage ??= update.Usage;
        }

        // The SDK asks for the usage chunk itself.
        Assert.Contains("\"include_usage\":true", Assert.Single(server.Requests).Body, StringComparison.Ordinal);
        Assert.Equal(1 + 4 + 1 + 1, updates);
        Assert.Equal("tok0 tok1 tok2 tok3 ", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finishReason);
        Assert.NotNull(usage);
        Assert.Equal(4, usage.InputTokenCount); // "Count to four." is 14 bytes.
        Assert.Equal(4, usage.OutputTokenCount);
        Assert.Equal(1, usage.InputTokenDetails.CachedTokenCount);
        await FakeHttp.WaitUntilAsync(() => server.Stats.CompletedFor("mistral") == 1);
    }

    [Fact]
    public async Task ChatClient_MaxOutputTokens_FinishesWithLength()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        var client = CreateClient(server);

        ChatCompletion completion = await client.CompleteChatAsync(
            [new UserChatMessage("Go on.")], new ChatCompletionOptions { MaxOutputTokenCount = 2 }).WaitAsync(Timeout);

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal("tok0 tok1 ", Assert.Single(completion.Content).Text);
        Assert.Equal(2, completion.Usage.OutputTokenCount);
    }

    [Theory]
    [InlineData(429, "Rate limit reached")]
    [InlineData(500, "The server had an error")]
    [InlineData(503, "overloaded")]
    public async Task ChatClient_StatusDirective_ThrowsClientResultExceptionWithStatus(int status, string message)
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        var client = CreateClient(server);

        var ex = await Assert.ThrowsAsync<ClientResultException>(
            () => client.CompleteChatAsync([new UserChatMessage($"Hello fake:status={status}")])).WaitAsync(Timeout);

        Assert.Equal(status, ex.Status);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        await FakeHttp.WaitUntilAsync(() => server.Stats.Failed == 1);
    }

    [Fact]
    public async Task ChatClient_StreamingStatusKnob_ThrowsBeforeAnyUpdate()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { Status = 500 }).WaitAsync(Timeout);
        var client = CreateClient(server);

        var ex = await Assert.ThrowsAsync<ClientResultException>(async () =>
        {
            await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Hi")]))
            {
                Assert.Fail("No update expected.");
            }
        }).WaitAsync(Timeout);

        Assert.Equal(500, ex.Status);
    }
}
