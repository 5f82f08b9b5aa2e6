using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI.Responses;
using Tollgate.FakeProviders;

namespace Tollgate.Tests.FakeProviders;

/// <summary>The official OpenAI .NET SDK parses everything the Responses fake sends.</summary>
#pragma warning disable OPENAI001 // The Responses client is marked experimental in this SDK version.
public sealed class ResponsesSdkTests
{
    private static readonly TimeSpan Timeout = FakeHttp.Timeout;

    private static ResponsesClient CreateClient(FakeProviderServer server) =>
        new(new ApiKeyCredential("k"), new ResponsesClientOptions
        {
            Endpoint = new Uri(server.OpenAIBaseUrl()),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout,
        });

    private static FunctionTool WeatherTool() => ResponseTool.CreateFunctionTool(
        functionName: "get_weather",
        functionParameters: BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city","days"],"additionalProperties":false}"""),
        strictModeEnabled: true,
        functionDescription: "Weather for a city");

    [Fact]
    public async Task CreateResponse_Text_ParsesOutputAndUsage()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { CachedTokens = 2 }).WaitAsync(Timeout);
        var client = CreateClient(server);

        // 9 + 26 = 35 bytes of instructions and input → 9 input tokens.
        ResponseResult response = await client.CreateResponseAsync(
            new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("What is 2+2? Say it short.")]) { Instructions = "Be brief." }).WaitAsync(Timeout);

        Assert.StartsWith("resp_", response.Id, StringComparison.Ordinal);
        Assert.Equal("gpt-test", response.Model);
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", response.GetOutputText());
        Assert.Equal(9, response.Usage.InputTokenCount);
        Assert.Equal(2, response.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(5, response.Usage.OutputTokenCount);
        Assert.Equal(14, response.Usage.TotalTokenCount);
        Assert.Equal("/openai/v1/responses", Assert.Single(server.Requests).Path);
    }

    [Fact]
    public async Task CreateResponseStreaming_Text_YieldsDeltasAndTheCompletedResponse()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { Chunks = 3 }).WaitAsync(Timeout);
        var client = CreateClient(server);

        var text = new StringBuilder();
        var sequence = new List<long>();
        ResponseResult? completed = null;
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var update in await client.CreateResponseStreamingAsync(
            new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("Count to three.")]) { StreamingEnabled = true }, cts.Token).WaitAsync(Timeout))
        {
            sequence.Add(update.SequenceNumber);
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }

        Assert.Equal("tok0 tok1 tok2 ", text.ToString());
        Assert.Equal(Enumerable.Range(0, sequence.Count).Select(i => (long)i), sequence);
        Assert.NotNull(completed);
        Assert.Equal(ResponseStatus.Completed, completed.Status);
        Assert.Equal("tok0 tok1 tok2 ", completed.GetOutputText());
        Assert.Equal(4, completed.Usage.InputTokenCount); // "Count to three." is 15 bytes.
        Assert.Equal(3, completed.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task CreateResponse_RequiredToolChoice_CallsTheFunctionThenAnswersItsOutput()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        var client = CreateClient(server);
        List<ResponseItem> items = [ResponseItem.CreateUserMessageItem("Weather in Paris?")];

        ResponseResult call = await client.CreateResponseAsync(
            new CreateResponseOptions("gpt-test", items) { Tools = { WeatherTool() }, ToolChoice = ResponseToolChoice.CreateRequiredChoice() }).WaitAsync(Timeout);
        var function = Assert.IsType<FunctionCallResponseItem>(Assert.Single(call.OutputItems));
        items.Add(function);
        items.Add(ResponseItem.CreateFunctionCallOutputItem(function.CallId, "Sunny"));
        ResponseResult answer = await client.CreateResponseAsync(
            new CreateResponseOptions("gpt-test", items) { Tools = { WeatherTool() }, ToolChoice = ResponseToolChoice.CreateRequiredChoice() }).WaitAsync(Timeout);

        Assert.Equal("get_weather", function.FunctionName);
        using var arguments = JsonDocument.Parse(function.FunctionArguments);
        Assert.Equal("fake", arguments.RootElement.GetProperty("city").GetString());
        Assert.Equal(1, arguments.RootElement.GetProperty("days").GetInt32());
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", answer.GetOutputText());
    }

    [Fact]
    public async Task CreateResponseStreaming_FunctionCall_YieldsArgumentDeltasAndTheDoneItem()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { ToolCall = true }).WaitAsync(Timeout);
        var client = CreateClient(server);

        var arguments = new StringBuilder();
        FunctionCallResponseItem? done = null;
        ResponseResult? completed = null;
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var update in await client.CreateResponseStreamingAsync(
            new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("Weather in Paris?")]) { Tools = { WeatherTool() }, StreamingEnabled = true },
            cts.Token).WaitAsync(Timeout))
        {
            switch (update)
            {
                case StreamingResponseFunctionCallArgumentsDeltaUpdate delta:
                    arguments.Append(delta.Delta);
                    break;
                case StreamingResponseOutputItemDoneUpdate { Item: FunctionCallResponseItem item }:
                    done = item;
                    break;
                case StreamingResponseCompletedUpdate finished:
                    completed = finished.Response;
                    break;
            }
        }

        Assert.Equal("""{"city":"fake","days":1}""", arguments.ToString());
        Assert.NotNull(done);
        Assert.Equal("get_weather", done.FunctionName);
        Assert.Equal(arguments.ToString(), done.FunctionArguments.ToString());
        Assert.NotNull(completed);
        Assert.Equal(6, completed.Usage.OutputTokenCount); // 24 bytes of arguments.
    }

    [Fact]
    public async Task CreateResponse_ReasoningRequested_ReturnsAReasoningItemAndReasoningTokens()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { ReasoningTokens = 7 }).WaitAsync(Timeout);
        var client = CreateClient(server);

        ResponseResult response = await client.CreateResponseAsync(
            new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("Think.")])
            {
                ReasoningOptions = new ResponseReasoningOptions { ReasoningEffortLevel = ResponseReasoningEffortLevel.Low },
            }).WaitAsync(Timeout);

        Assert.IsType<ReasoningResponseItem>(response.OutputItems[0]);
        Assert.IsAssignableFrom<MessageResponseItem>(response.OutputItems[1]);
        Assert.Equal(7, response.Usage.OutputTokenDetails.ReasoningTokenCount);
        Assert.Equal(5 + 7, response.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task CreateResponse_MaxOutputTokens_IsIncomplete()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        var client = CreateClient(server);

        ResponseResult response = await client.CreateResponseAsync(
            new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("Go on.")]) { MaxOutputTokenCount = 2 }).WaitAsync(Timeout);

        Assert.Equal(ResponseStatus.Incomplete, response.Status);
        Assert.Equal(ResponseIncompleteStatusReason.MaxOutputTokens, response.IncompleteStatusDetails.Reason);
        Assert.Equal("tok0 tok1 ", response.GetOutputText());
    }

    [Fact]
    public async Task GetResponse_StoredResponse_IsReturned()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        var client = CreateClient(server);

        ResponseResult created = await client.CreateResponseAsync(
            new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("Remember me.")]) { PreviousResponseId = "resp_before" }).WaitAsync(Timeout);
        ResponseResult fetched = await client.GetResponseAsync(created.Id).WaitAsync(Timeout);

        Assert.Equal(created.Id, fetched.Id);
        Assert.Equal("resp_before", fetched.PreviousResponseId);
        Assert.Equal(created.GetOutputText(), fetched.GetOutputText());
        Assert.Equal(created.Usage.TotalTokenCount, fetched.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task CreateResponseStreaming_FailureMidStream_YieldsResponseFailedWithTheError()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { ErrorAfterChunks = 1 }).WaitAsync(Timeout);
        var client = CreateClient(server);

        var deltas = 0;
        ResponseResult? failed = null;
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var update in await client.CreateResponseStreamingAsync(
            new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("Hi")]) { StreamingEnabled = true }, cts.Token).WaitAsync(Timeout))
        {
            deltas += update is StreamingResponseOutputTextDeltaUpdate ? 1 : 0;
            failed ??= (update as StreamingResponseFailedUpdate)?.Response;
        }

        Assert.Equal(1, deltas);
        Assert.NotNull(failed);
        Assert.Equal(ResponseStatus.Failed, failed.Status);
        Assert.Equal(ResponseErrorCode.ServerError, failed.Error.Code);
    }

    [Fact]
    public async Task CreateResponseStreaming_ErrorEvent_YieldsTheErrorUpdate()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { ErrorAfterChunks = 0, ErrorEvent = "error" }).WaitAsync(Timeout);
        var client = CreateClient(server);

        StreamingResponseErrorUpdate? error = null;
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var update in await client.CreateResponseStreamingAsync(
            new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("Hi")]) { StreamingEnabled = true }, cts.Token).WaitAsync(Timeout))
        {
            error ??= update as StreamingResponseErrorUpdate;
        }

        Assert.NotNull(error);
        Assert.Equal("server_error", error.Code);
        Assert.False(string.IsNullOrEmpty(error.Message));
    }

    [Fact]
    public async Task CreateResponse_StatusKnob_ThrowsClientResultExceptionWithStatus()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { Status = 429 }).WaitAsync(Timeout);
        var client = CreateClient(server);

        var ex = await Assert.ThrowsAsync<ClientResultException>(
            () => client.CreateResponseAsync(new CreateResponseOptions("gpt-test", [ResponseItem.CreateUserMessageItem("Hi")]))).WaitAsync(Timeout);

        Assert.Equal(429, ex.Status);
    }
}
#pragma warning restore OPENAI001
