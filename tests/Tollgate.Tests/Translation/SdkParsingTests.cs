using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Messages;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;
using static Tollgate.Tests.Translation.TranslationFixtures;

namespace Tollgate.Tests.Translation;

/// <summary>
/// The official SDKs (OpenAI 2.15, Anthropic 13.14 with response validation on) parse what the
/// translators write for their clients: whole answers and streams translated from another provider.
/// The SDKs are given the translated bytes through their HTTP client.
/// </summary>
#pragma warning disable OPENAI001 // The Responses client is marked experimental in this SDK version.
public sealed class SdkParsingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Answers every request with the given body.</summary>
    private sealed class CannedHandler(string body, string mediaType) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        }
    }

    private static string Json(string provider, string client) =>
        Encoding.UTF8.GetString(Format(client).WriteResponse(Format(provider).ReadResponse(Encoding.UTF8.GetBytes(Answer(provider))), "client-model"));

    private static string Sse(string provider, string client) => TranslateStream(provider, client, Stream(provider)).ClientStream;

    private static OpenAIClientOptions OpenAIOptions(string body, string mediaType) => new()
    {
        Endpoint = new Uri("http://127.0.0.1:9/v1"),
        Transport = new HttpClientPipelineTransport(new HttpClient(new CannedHandler(body, mediaType))),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    };

    private static AnthropicClient AnthropicFor(string body, string mediaType) => new(new ClientOptions
    {
        BaseUrl = "http://127.0.0.1:9",
        ApiKey = "k",
        HttpClient = new HttpClient(new CannedHandler(body, mediaType)),
        MaxRetries = 0,
        Timeout = Timeout,
        ResponseValidation = true,
    });

    private static MessageCreateParams AnthropicParams() => new()
    {
        MaxTokens = 100,
        Model = "client-model",
        Messages = [new UserMessageParam("Weather in Rome?")],
    };

    [Theory]
    [InlineData("messages")]
    [InlineData("responses")]
    public async Task OpenAIChat_ParsesTranslatedCompletion(string provider)
    {
        var client = new ChatClient("client-model", new ApiKeyCredential("k"), OpenAIOptions(Json(provider, "chat"), "application/json"));

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Weather in Rome?")]).WaitAsync(Timeout);

        Assert.Equal("chatcmpl-xyz", completion.Id);
        Assert.Equal("client-model", completion.Model);
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal("Checking.", completion.Content[0].Text);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal(("call_1", "get_weather", """{"city":"Rome"}"""), (call.Id, call.FunctionName, call.FunctionArguments.ToString()));
        Assert.Equal(100, completion.Usage.InputTokenCount);
        Assert.Equal(50, completion.Usage.OutputTokenCount);
        Assert.Equal(40, completion.Usage.InputTokenDetails.CachedTokenCount);
    }

    [Theory]
    [InlineData("messages")]
    [InlineData("responses")]
    public async Task OpenAIChat_ParsesTranslatedStream(string provider)
    {
        var client = new ChatClient("client-model", new ApiKeyCredential("k"), OpenAIOptions(Sse(provider, "chat"), "text/event-stream"));

        var text = new StringBuilder();
        var arguments = new StringBuilder();
        string? callId = null, name = null;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Weather in Rome?")], cancellationToken: cts.Token))
        {
            Assert.Equal("client-model", update.Model);
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            foreach (var call in update.ToolCallUpdates)
            {
                Assert.Equal(0, call.Index);
                callId ??= call.ToolCallId;
                name ??= call.FunctionName;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("Checking.", text.ToString());
        Assert.Equal(("call_1", "get_weather", """{"city":"Rome"}"""), (callId, name, arguments.ToString()));
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.NotNull(usage);
        Assert.Equal((100, 50, 40), (usage.InputTokenCount, usage.OutputTokenCount, usage.InputTokenDetails.CachedTokenCount));
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("messages")]
    public async Task OpenAIResponses_ParsesTranslatedResponse(string provider)
    {
        var client = new ResponsesClient(new ApiKeyCredential("k"), new ResponsesClientOptions
        {
            Endpoint = new Uri("http://127.0.0.1:9/v1"),
            Transport = new HttpClientPipelineTransport(new HttpClient(new CannedHandler(Json(provider, "responses"), "application/json"))),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

        ResponseResult response = await client.CreateResponseAsync(new CreateResponseOptions("client-model", [ResponseItem.CreateUserMessageItem("Weather in Rome?")])).WaitAsync(Timeout);

        Assert.Equal("resp_xyz", response.Id);
        Assert.Equal("client-model", response.Model);
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.Equal("Checking.", response.GetOutputText());
        Assert.IsType<ReasoningResponseItem>(response.OutputItems[0]);
        var call = Assert.IsType<FunctionCallResponseItem>(response.OutputItems[2]);
        Assert.Equal(("call_1", "get_weather", """{"city":"Rome"}"""), (call.CallId, call.FunctionName, call.FunctionArguments.ToString()));
        Assert.Equal((100, 50, 40), (response.Usage.InputTokenCount, response.Usage.OutputTokenCount, response.Usage.InputTokenDetails.CachedTokenCount));
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("messages")]
    public async Task OpenAIResponses_ParsesTranslatedStream(string provider)
    {
        var client = new ResponsesClient(new ApiKeyCredential("k"), new ResponsesClientOptions
        {
            Endpoint = new Uri("http://127.0.0.1:9/v1"),
            Transport = new HttpClientPipelineTransport(new HttpClient(new CannedHandler(Sse(provider, "responses"), "text/event-stream"))),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

        var text = new StringBuilder();
        var arguments = new StringBuilder();
        var reasoning = new StringBuilder();
        var sequence = new List<long>();
        ResponseResult? completed = null;
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var update in await client.CreateResponseStreamingAsync(
            new CreateResponseOptions("client-model", [ResponseItem.CreateUserMessageItem("Weather in Rome?")]) { StreamingEnabled = true }, cts.Token).WaitAsync(Timeout))
        {
            sequence.Add(update.SequenceNumber);
            switch (update)
            {
                case StreamingResponseOutputTextDeltaUpdate delta:
                    text.Append(delta.Delta);
                    break;
                case StreamingResponseFunctionCallArgumentsDeltaUpdate args:
                    arguments.Append(args.Delta);
                    break;
                case StreamingResponseReasoningSummaryTextDeltaUpdate thought:
                    reasoning.Append(thought.Delta);
                    break;
                case StreamingResponseCompletedUpdate done:
                    completed = done.Response;
                    break;
            }
        }

        Assert.Equal("Checking.", text.ToString());
        Assert.Equal("""{"city":"Rome"}""", arguments.ToString());
        Assert.Equal("User wants weather.", reasoning.ToString());
        Assert.Equal(Enumerable.Range(0, sequence.Count).Select(i => (long)i), sequence);
        Assert.NotNull(completed);
        Assert.Equal(ResponseStatus.Completed, completed.Status);
        Assert.Equal("Checking.", completed.GetOutputText());
        Assert.Equal((100, 50), (completed.Usage.InputTokenCount, completed.Usage.OutputTokenCount));
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("responses")]
    public async Task AnthropicMessages_ParsesTranslatedMessage(string provider)
    {
        var client = AnthropicFor(Json(provider, "messages"), "application/json");

        var message = await client.Messages.Create(AnthropicParams()).WaitAsync(Timeout);

        Assert.Equal("msg_xyz", message.ID);
        Assert.Equal("client-model", message.Model.Raw());
        Assert.Equal("tool_use", message.StopReason?.Raw());
        var blocks = message.Content.Select(c => c.Value).ToList();
        Assert.Equal("User wants weather.", Assert.IsType<ThinkingBlock>(blocks[0]).Thinking);
        Assert.Equal("Checking.", Assert.IsType<TextBlock>(blocks[1]).Text);
        var tool = Assert.IsType<ToolUseBlock>(blocks[2]);
        Assert.Equal(("call_1", "get_weather"), (tool.ID, tool.Name));
        Assert.Equal("Rome", tool.Input["city"].GetString());
        Assert.Equal((60, 40, 0, 50), (message.Usage.InputTokens, message.Usage.CacheReadInputTokens, message.Usage.CacheCreationInputTokens, message.Usage.OutputTokens));
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("responses")]
    public async Task AnthropicMessages_ParsesTranslatedStream(string provider)
    {
        var client = AnthropicFor(Sse(provider, "messages"), "text/event-stream");
        using var cts = new CancellationTokenSource(Timeout);

        var message = await client.Messages.CreateStreaming(AnthropicParams(), cts.Token).Aggregate().WaitAsync(Timeout);

        Assert.Equal("msg_xyz", message.ID);
        Assert.Equal("tool_use", message.StopReason?.Raw());
        var blocks = message.Content.Select(c => c.Value).ToList();
        Assert.Equal("User wants weather.", Assert.IsType<ThinkingBlock>(blocks[0]).Thinking);
        Assert.Equal("Checking.", Assert.IsType<TextBlock>(blocks[1]).Text);
        var tool = Assert.IsType<ToolUseBlock>(blocks[2]);
        Assert.Equal(("call_1", "get_weather"), (tool.ID, tool.Name));
        Assert.Equal("Rome", tool.Input["city"].GetString());
        Assert.Equal(50, message.Usage.OutputTokens);
    }
}
