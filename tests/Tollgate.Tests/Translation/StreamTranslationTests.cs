using System.Buffers;
using System.Text;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Translation;
using static Tollgate.Tests.Translation.RequestTranslationTests;
using static Tollgate.Tests.Translation.TranslationFixtures;

namespace Tollgate.Tests.Translation;

/// <summary>
/// A provider stream (thinking deltas, text deltas, a tool call whose arguments arrive in fragments,
/// usage) decoded and re-encoded for a client of each format; the client stream is parsed back and
/// checked event by event.
/// </summary>
public sealed class StreamTranslationTests
{
    public static TheoryData<string, string> Pairs => new()
    {
        { "messages", "chat" }, { "responses", "chat" }, { "chat", "chat" },
        { "chat", "messages" }, { "responses", "messages" }, { "messages", "messages" },
        { "chat", "responses" }, { "messages", "responses" }, { "responses", "responses" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Decoder_ReportsTheInternalStream_UsageAndContentBytes(string provider, string client)
    {
        var (_, decoder, events) = TranslateStream(provider, client, Stream(provider));

        Assert.True(decoder.Completed);
        Assert.Null(decoder.Failure);
        Assert.Equal(AnswerUsage(provider), decoder.Usage);
        // "User wants weather." + "Checking." + "get_weather" + {"city":"Rome"}
        Assert.Equal(19 + 9 + 11 + 15, decoder.ContentBytes);
        Assert.IsType<StreamStarted>(events[0]);
        var finish = Assert.IsType<StreamFinished>(events[^1]);
        Assert.Equal(StopReason.ToolUse, finish.Reason);
        var thinking = string.Concat(events.OfType<ThinkingDelta>().Select(d => d.Text));
        Assert.Equal("User wants weather.", thinking);
        Assert.Equal("Checking.", string.Concat(events.OfType<TextDelta>().Select(d => d.Text)));
        var call = Assert.Single(events.OfType<ToolCallStarted>());
        Assert.Equal(("call_1", "get_weather"), (call.CallId, call.Name));
        var fragments = events.OfType<ToolArgumentsDelta>().ToList();
        Assert.Equal(3, fragments.Count);
        Assert.All(fragments, f => Assert.Equal(call.Index, f.Index));
        Assert.Equal("""{"city":"Rome"}""", string.Concat(fragments.Select(f => f.Json)));
        // Every block started is stopped once, before the finish.
        var started = events.Where(e => e is TextStarted or ThinkingStarted or ToolCallStarted).Select(IndexOf).ToList();
        Assert.Equal(3, started.Count);
        Assert.Equal(started, events.OfType<BlockStopped>().Select(b => b.Index));
    }

    private static int IndexOf(StreamEvent e) => e switch
    {
        TextStarted t => t.Index,
        ThinkingStarted t => t.Index,
        ToolCallStarted t => t.Index,
        _ => -1,
    };

    [Theory]
    [InlineData("messages", 0)]
    [InlineData("responses", 20)]
    [InlineData("chat", 20)]
    public void ToChatClient_ChunksCarryEveryDelta_ThenFinish_Usage_AndDone(string provider, long reasoningTokens)
    {
        var (stream, _, _) = TranslateStream(provider, "chat", Stream(provider));
        var events = ParseSse(stream);

        Assert.All(events, e => Assert.Null(e.Event));
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events.SkipLast(1).Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        Assert.All(chunks, c =>
        {
            Assert.Equal("chatcmpl-xyz", c.GetProperty("id").GetString());
            Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString());
            Assert.Equal(Now.ToUnixTimeSeconds(), c.GetProperty("created").GetInt64());
            Assert.Equal("client-model", c.GetProperty("model").GetString());
        });

        var deltas = chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1).Select(c => c.GetProperty("choices")[0]).ToList();
        Assert.Equal("assistant", deltas[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("User wants weather.", string.Concat(deltas.Select(d => d.GetProperty("delta").TryGetProperty("reasoning_content", out var r) ? r.GetString() : "")));
        Assert.Equal("Checking.", string.Concat(deltas.Select(d => d.GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString() : "")));

        var calls = deltas.Where(d => d.GetProperty("delta").TryGetProperty("tool_calls", out _)).Select(d => Assert.Single(d.GetProperty("delta").GetProperty("tool_calls").EnumerateArray())).ToList();
        Assert.Equal(4, calls.Count); // the start, then three fragments
        Assert.All(calls, c => Assert.Equal(0, c.GetProperty("index").GetInt32()));
        Assert.Equal("call_1", calls[0].GetProperty("id").GetString());
        Assert.Equal("function", calls[0].GetProperty("type").GetString());
        Assert.Equal("get_weather", calls[0].GetProperty("function").GetProperty("name").GetString());
        Assert.All(calls.Skip(1), c => Assert.False(c.TryGetProperty("id", out _)));
        Assert.Equal("""{"city":"Rome"}""", string.Concat(calls.Select(c => c.GetProperty("function").GetProperty("arguments").GetString())));

        // Exactly one finish, after every delta; then the usage chunk (asked for by the client), then [DONE].
        var finishes = deltas.Select((d, i) => (i, d.GetProperty("finish_reason"))).Where(f => f.Item2.ValueKind != JsonValueKind.Null).ToList();
        var (at, reason) = Assert.Single(finishes);
        Assert.Equal(deltas.Count - 1, at);
        Assert.Equal("tool_calls", reason.GetString());
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        AssertJson($$"""
            {"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":40},
             "completion_tokens_details":{"reasoning_tokens":{{reasoningTokens}} } }
            """, usage.GetProperty("usage"));
    }

    [Fact]
    public void ToChatClient_WithoutIncludeUsage_HasNoUsageChunk()
    {
        var request = Chat.ReadRequest("""{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true}"""u8).Turn!;

        var (stream, _, _) = TranslateStream("messages", "chat", MessagesStream(), request);

        var chunks = ParseSse(stream).SkipLast(1).Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal(1, c.GetProperty("choices").GetArrayLength()));
        Assert.All(chunks, c => Assert.False(c.TryGetProperty("usage", out _)));
    }

    [Theory]
    [InlineData("chat", null, 60, 0)]
    [InlineData("responses", "rs_9|enc-9", 60, 0)]
    [InlineData("messages", "sig-1", 50, 10)]
    public void ToMessagesClient_EventSequenceIndicesDeltasAndUsage(string provider, string? signature, long input, long cacheWrite)
    {
        var (stream, _, _) = TranslateStream(provider, "messages", Stream(provider));
        var events = ParseSse(stream).Select(e => (e.Event, Data: JsonDocument.Parse(e.Data).RootElement)).ToList();

        Assert.All(events, e => Assert.Equal(e.Event, e.Data.GetProperty("type").GetString()));
        var expected = new List<string> { "message_start", "content_block_start", "content_block_delta", "content_block_delta" };
        if (signature is not null)
        {
            expected.Add("content_block_delta");
        }

        expected.AddRange(["content_block_stop", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
        Assert.Equal(expected, events.Select(e => e.Event));

        var start = events[0].Data.GetProperty("message");
        Assert.Equal("msg_xyz", start.GetProperty("id").GetString());
        Assert.Equal("client-model", start.GetProperty("model").GetString());
        Assert.Equal("assistant", start.GetProperty("role").GetString());
        Assert.Equal(0, start.GetProperty("content").GetArrayLength());

        var blocks = events.Where(e => e.Event == "content_block_start").Select(e => e.Data).ToList();
        Assert.Equal([0, 1, 2], blocks.Select(b => b.GetProperty("index").GetInt32()));
        AssertJson("""{"type":"thinking","thinking":"","signature":""}""", blocks[0].GetProperty("content_block"));
        AssertJson("""{"type":"text","text":""}""", blocks[1].GetProperty("content_block"));
        AssertJson("""{"type":"tool_use","id":"call_1","name":"get_weather","input":{},"caller":{"type":"direct"}}""", blocks[2].GetProperty("content_block"));

        string Deltas(int index, string type, string field) => string.Concat(events
            .Where(e => e.Event == "content_block_delta" && e.Data.GetProperty("index").GetInt32() == index && e.Data.GetProperty("delta").GetProperty("type").GetString() == type)
            .Select(e => e.Data.GetProperty("delta").GetProperty(field).GetString()));
        Assert.Equal("User wants weather.", Deltas(0, "thinking_delta", "thinking"));
        Assert.Equal(signature ?? "", Deltas(0, "signature_delta", "signature"));
        Assert.Equal("Checking.", Deltas(1, "text_delta", "text"));
        Assert.Equal("""{"city":"Rome"}""", Deltas(2, "input_json_delta", "partial_json"));
        Assert.Equal([0, 1, 2], events.Where(e => e.Event == "content_block_stop").Select(e => e.Data.GetProperty("index").GetInt32()));

        var delta = events[^2].Data;
        AssertJson("""{"stop_reason":"tool_use","stop_sequence":null}""", delta.GetProperty("delta"));
        AssertJson($$"""{"input_tokens":{{input}},"cache_creation_input_tokens":{{cacheWrite}},"cache_read_input_tokens":40,"output_tokens":50}""", delta.GetProperty("usage"));
    }

    [Theory]
    [InlineData("chat", null, 20)]
    [InlineData("messages", "sig-1", 0)]
    [InlineData("responses", "enc-9", 20)]
    public void ToResponsesClient_TypedEventsInOrder_WithSequenceNumbersAndTheCompletedResponse(string provider, string? encrypted, long reasoningTokens)
    {
        var (stream, _, _) = TranslateStream(provider, "responses", Stream(provider));
        var events = ParseSse(stream).Select(e => (e.Event, Data: JsonDocument.Parse(e.Data).RootElement)).ToList();

        Assert.All(events, e => Assert.Equal(e.Event, e.Data.GetProperty("type").GetString()));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Data.GetProperty("sequence_number").GetInt32()));
        Assert.Equal(
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
            "response.function_call_arguments.done", "response.output_item.done",
            "response.completed",
        ], events.Select(e => e.Event));

        var created = events[0].Data.GetProperty("response");
        Assert.Equal("resp_xyz", created.GetProperty("id").GetString());
        Assert.Equal("in_progress", created.GetProperty("status").GetString());
        Assert.Equal("client-model", created.GetProperty("model").GetString());

        // Every event of an item names it by the same id and output index.
        var reasoningId = events[2].Data.GetProperty("item").GetProperty("id").GetString();
        var messageId = events[9].Data.GetProperty("item").GetProperty("id").GetString();
        var callId = events[16].Data.GetProperty("item").GetProperty("id").GetString();
        foreach (var (range, id, index) in new[] { (3..8, reasoningId, 0), (10..15, messageId, 1), (17..21, callId, 2) })
        {
            foreach (var e in events.Take(range))
            {
                Assert.Equal(id, e.Data.GetProperty("item_id").GetString());
                Assert.Equal(index, e.Data.GetProperty("output_index").GetInt32());
            }
        }

        Assert.Equal("fc_1", callId);
        Assert.Equal("User wants weather.", events[6].Data.GetProperty("text").GetString());
        Assert.Equal("Checking.", string.Concat(events.Where(e => e.Event == "response.output_text.delta").Select(e => e.Data.GetProperty("delta").GetString())));
        Assert.Equal("Checking.", events[13].Data.GetProperty("text").GetString());
        Assert.All(events.Skip(10).Take(5), e => Assert.Equal(0, e.Data.GetProperty("content_index").GetInt32()));
        Assert.Equal("""{"city":"Rome"}""", string.Concat(events.Where(e => e.Event == "response.function_call_arguments.delta").Select(e => e.Data.GetProperty("delta").GetString())));
        Assert.Equal("""{"city":"Rome"}""", events[20].Data.GetProperty("arguments").GetString());
        Assert.Equal("get_weather", events[20].Data.GetProperty("name").GetString());
        AssertJson("""{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"get_weather"}""", events[16].Data.GetProperty("item"));
        AssertJson("""{"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Rome\"}","call_id":"call_1","name":"get_weather"}""", events[21].Data.GetProperty("item"));

        var done = events[^1].Data.GetProperty("response");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        var output = done.GetProperty("output").EnumerateArray().ToList();
        Assert.Equal(["reasoning", "message", "function_call"], output.Select(o => o.GetProperty("type").GetString()));
        Assert.Equal(encrypted, output[0].TryGetProperty("encrypted_content", out var enc) ? enc.GetString() : null);
        AssertJson("""[{"type":"summary_text","text":"User wants weather."}]""", output[0].GetProperty("summary"));
        Assert.Equal("Checking.", output[1].GetProperty("content")[0].GetProperty("text").GetString());
        AssertJson($$"""
            {"input_tokens":100,"input_tokens_details":{"cached_tokens":40},"output_tokens":50,
             "output_tokens_details":{"reasoning_tokens":{{reasoningTokens}} },"total_tokens":150}
            """, done.GetProperty("usage"));
    }

    [Fact]
    public void ChatDecoder_UsageInTheFinishChunk_OrNone()
    {
        var chunks = new[]
        {
            """data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}""" + "\n\n",
            """data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}""" + "\n\n",
            "data: [DONE]\n\n",
        };

        var (_, decoder, events) = TranslateStream("chat", "messages", chunks);

        Assert.Equal(new TokenUsage(5, 0, 0, 2, 0), decoder.Usage);
        Assert.Equal(StopReason.MaxTokens, Assert.IsType<StreamFinished>(events[^1]).Reason);

        var (_, bare, _) = TranslateStream("chat", "messages", [chunks[0], """data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""" + "\n\n", chunks[2]]);
        Assert.Null(bare.Usage);
        Assert.Equal(2, bare.ContentBytes);
        Assert.True(bare.Completed);
    }

    [Fact]
    public void ChatDecoder_TextChunks_GiveTheSameEventsWhicheverWayTheyAreRead()
    {
        // Plain text, reasoning and refusal chunks are read forward only; a chunk with usage in it is
        // read as a document. The same chunks with and without usage must give the same events.
        string[] bodies =
        [
            """{"id":"c9","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]%USAGE%}""",
            """{"id":"c9","choices":[{"index":0,"delta":{"reasoning_content":"Think \"a\" ","extra":{"x":[1,2]}},"finish_reason":null}]%USAGE%}""",
            """{"id":"c9","choices":[{"index":0,"delta":{"reasoning":"ignored","reasoning_content":"more"},"finish_reason":null}]%USAGE%}""",
            """{"choices":[{"delta":{"content":"Hé \u00e9\n"}}]%USAGE%}""",
            """{"id":"c9","choices":[{"index":0,"delta":null,"finish_reason":null}]%USAGE%}""",
            """{"id":"c9","choices":[{"index":0,"delta":{"content":null,"refusal":"No."},"finish_reason":null}]%USAGE%}""",
            """{"id":"c9","choices":[],"obfuscation":"abc"%USAGE%}""",
            """{"id":"c9","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]%USAGE%}""",
        ];
        List<StreamEvent> Decode(string usage)
        {
            var decoder = Chat.CreateDecoder();
            var output = new List<StreamEvent>();
            foreach (var body in bodies)
            {
                decoder.Decode(Encoding.UTF8.GetBytes("data: " + body.Replace("%USAGE%", usage, StringComparison.Ordinal) + "\n\n"), output);
            }

            decoder.Decode("data: [DONE]\n\n"u8, output);
            Assert.Null(decoder.Failure);
            return output;
        }

        var plain = Decode(",\"usage\":null");
        var documents = Decode(",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}");

        Assert.Equal(documents.Count, plain.Count);
        Assert.Equal(documents[..^1], plain[..^1]);
        Assert.Equal(new StreamFinished(StopReason.EndTurn, null, null), plain[^1]);
        Assert.Equal(new StreamFinished(StopReason.EndTurn, null, new TokenUsage(3, 0, 0, 4, 0)), documents[^1]);
        Assert.Equal(
            new StreamEvent[] { new StreamStarted("c9", null), new ThinkingStarted(0), new ThinkingDelta(0, "Think \"a\" ", null), new ThinkingDelta(0, "more", null),
             new BlockStopped(0), new TextStarted(1), new TextDelta(1, "Hé é\n"), new TextDelta(1, "No."), new BlockStopped(1) },
            plain[..^1]);
    }

    [Fact]
    public void ChatDecoder_TwoToolCalls_KeepTheirOwnArguments()
    {
        static string Chunk(string calls) => $$$"""data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{{{calls}}}]},"finish_reason":null}]}""" + "\n\n";
        var chunks = new[]
        {
            Chunk("""{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\":"}}"""),
            Chunk("""{"index":0,"function":{"arguments":"1}"}}"""),
            Chunk("""{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":""}}"""),
            Chunk("""{"index":1,"function":{"arguments":"{\"y\":2}"}}"""),
            """data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""" + "\n\n",
            "data: [DONE]\n\n",
        };

        var (stream, _, _) = TranslateStream("chat", "messages", chunks);

        var events = ParseSse(stream).Select(e => JsonDocument.Parse(e.Data).RootElement).ToList();
        var starts = events.Where(e => e.GetProperty("type").GetString() == "content_block_start").ToList();
        Assert.Equal(["call_a", "call_b"], starts.Select(s => s.GetProperty("content_block").GetProperty("id").GetString()));
        string Args(int i) => string.Concat(events.Where(e => e.GetProperty("type").GetString() == "content_block_delta" && e.GetProperty("index").GetInt32() == i)
            .Select(e => e.GetProperty("delta").GetProperty("partial_json").GetString()));
        Assert.Equal("""{"x":1}""", Args(0));
        Assert.Equal("""{"y":2}""", Args(1));
    }

    [Fact]
    public void MessagesDecoder_ErrorEvent_IsAFailure_AndNotCompleted()
    {
        var events = MessagesStream().Take(4).Append("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
        var decoder = Messages.CreateDecoder();
        var output = new List<StreamEvent>();

        foreach (var e in events)
        {
            decoder.Decode(Encoding.UTF8.GetBytes(e), output);
        }

        Assert.False(decoder.Completed);
        Assert.Equal("overloaded_error", decoder.Failure?.Code);
        Assert.Equal("Overloaded", decoder.Failure?.Message);
        Assert.Equal(new TokenUsage(50, 40, 10, 1, 0), decoder.Usage); // the partial usage so far
    }

    [Fact]
    public void ResponsesDecoder_Failed_IsAFailure()
    {
        var decoder = Responses.CreateDecoder();
        var output = new List<StreamEvent>();

        decoder.Decode(Encoding.UTF8.GetBytes(ResponsesStream()[0]), output);
        decoder.Decode("event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"id\":\"resp_xyz\",\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"Boom\"}},\"sequence_number\":1}\n\n"u8, output);

        Assert.False(decoder.Completed);
        Assert.Equal(("server_error", "Boom"), (decoder.Failure?.Code, decoder.Failure?.Message));
    }

    [Fact]
    public void Decoders_IgnoreKeepaliveComments()
    {
        foreach (var name in new[] { "chat", "messages", "responses" })
        {
            var output = new List<StreamEvent>();
            Format(name).CreateDecoder().Decode(": ping\n\n"u8, output);
            Assert.Empty(output);
        }
    }

    [Fact]
    public void Encoders_CompleteWithoutAFinishEvent_StillCloseOpenBlocks()
    {
        var request = Messages.ReadRequest(Encoding.UTF8.GetBytes(MessagesRequest())).Turn!;
        var encoder = Messages.CreateEncoder("client-model", request);
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(new StreamStarted("msg_1", null), output);
        encoder.Encode(new TextStarted(0), output);
        encoder.Encode(new TextDelta(0, "partial"), output);

        output.Write(encoder.Complete(new StreamFinished(StopReason.MaxTokens, null, new TokenUsage(3, 0, 0, 1, 0))));

        var events = ParseSse(Encoding.UTF8.GetString(output.WrittenSpan)).Select(e => e.Event).ToList();
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"], events);
    }

    [Theory]
    [InlineData("chat", "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":5}}]}\n\n")]
    [InlineData("messages", "event: message_start\ndata: {\"type\":\"message_start\"}\n\n")]
    [InlineData("responses", "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\"\n\n")]
    public void Decoders_MalformedEvent_IsAFailure_NotAnException(string format, string ev)
    {
        var decoder = Format(format).CreateDecoder();

        decoder.Decode(Encoding.UTF8.GetBytes(ev), []);

        Assert.Equal("invalid_upstream_event", decoder.Failure?.Code);
        Assert.False(decoder.Completed);
    }
}
