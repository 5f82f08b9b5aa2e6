using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>
/// Writes a Responses answer: the <c>response</c> object (fields in api.openai.com's order), or the typed
/// events of a stream, each <c>event: {type}</c> with a <c>data:</c> object carrying <c>type</c> and an
/// increasing <c>sequence_number</c> from 0.
/// </summary>
internal sealed class ResponsesWriter(PipeWriter pipe, ResponsesAnswer answer, bool omitUsage) : IDisposable
{
    private readonly SseWriter _sse = new(pipe);
    private int _sequence;

    /// <summary>The states the response object is written in.</summary>
    public enum State
    {
        /// <summary><c>in_progress</c>, no output, no usage.</summary>
        InProgress,

        /// <summary><c>completed</c> or <c>incomplete</c> (max_output_tokens), with output and usage.</summary>
        Done,

        /// <summary><c>failed</c>, with <c>error</c>.</summary>
        Failed,
    }

    /// <summary>The response object as JSON bytes (for the JSON answer, the terminal events and the store).</summary>
    public byte[] Response(State state, OpenAIError? error = null)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, OpenAIError.WriterOptions))
        {
            WriteResponse(json, state, error);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>response.created</c>, <c>response.in_progress</c>, <c>response.completed</c>, <c>response.incomplete</c> or <c>response.failed</c>.</summary>
    public void WriteResponseEvent(ReadOnlySpan<byte> type, byte[] response)
    {
        var json = Start(type);
        json.WritePropertyName("response"u8);
        json.WriteRawValue(response, skipInputValidation: true);
        End(json);
    }

    /// <summary><c>response.output_item.added</c> (the item in progress) or <c>.done</c> (the item finished).</summary>
    public void WriteItemEvent(int outputIndex, bool reasoning, bool done)
    {
        var json = Start(done ? "response.output_item.done"u8 : "response.output_item.added"u8);
        json.WritePropertyName("item"u8);
        if (reasoning)
        {
            WriteReasoningItem(json);
        }
        else
        {
            WriteMainItem(json, done);
        }

        json.WriteNumber("output_index"u8, outputIndex);
        End(json);
    }

    /// <summary><c>response.content_part.added</c> (empty text) or <c>.done</c> (the whole text).</summary>
    public void WritePartEvent(int outputIndex, bool done)
    {
        var json = Start(done ? "response.content_part.done"u8 : "response.content_part.added"u8);
        json.WriteNumber("content_index"u8, 0);
        json.WriteString("item_id"u8, answer.ItemId);
        json.WriteNumber("output_index"u8, outputIndex);
        json.WritePropertyName("part"u8);
        WriteTextPart(json, done ? answer.Text : string.Empty);
        End(json);
    }

    /// <summary><c>response.output_text.delta</c>.</summary>
    public void WriteTextDelta(int outputIndex, string delta)
    {
        var json = Start("response.output_text.delta"u8);
        json.WriteNumber("content_index"u8, 0);
        json.WriteString("delta"u8, delta);
        json.WriteString("item_id"u8, answer.ItemId);
        json.WriteStartArray("logprobs"u8);
        json.WriteEndArray();
        json.WriteNumber("output_index"u8, outputIndex);
        End(json);
    }

    /// <summary><c>response.output_text.done</c> with the whole text.</summary>
    public void WriteTextDone(int outputIndex)
    {
        var json = Start("response.output_text.done"u8);
        json.WriteNumber("content_index"u8, 0);
        json.WriteString("item_id"u8, answer.ItemId);
        json.WriteStartArray("logprobs"u8);
        json.WriteEndArray();
        json.WriteNumber("output_index"u8, outputIndex);
        json.WriteString("text"u8, answer.Text);
        End(json);
    }

    /// <summary><c>response.function_call_arguments.delta</c>.</summary>
    public void WriteArgumentsDelta(int outputIndex, string delta)
    {
        var json = Start("response.function_call_arguments.delta"u8);
        json.WriteString("delta"u8, delta);
        json.WriteString("item_id"u8, answer.ItemId);
        json.WriteNumber("output_index"u8, outputIndex);
        End(json);
    }

    /// <summary><c>response.function_call_arguments.done</c> with the whole arguments and the function name.</summary>
    public void WriteArgumentsDone(int outputIndex)
    {
        var json = Start("response.function_call_arguments.done"u8);
        json.WriteString("arguments"u8, answer.Arguments);
        json.WriteString("item_id"u8, answer.ItemId);
        json.WriteString("name"u8, answer.ToolName);
        json.WriteNumber("output_index"u8, outputIndex);
        End(json);
    }

    /// <summary>The bare <c>error</c> event: <c>{"type":"error","code","message","param"}</c>.</summary>
    public void WriteErrorEvent(OpenAIError error)
    {
        var json = Start("error"u8);
        json.WriteString("code"u8, error.Code);
        json.WriteString("message"u8, error.Message);
        json.WriteNull("param"u8);
        End(json);
    }

    public void Dispose() => _sse.Dispose();

    private Utf8JsonWriter Start(ReadOnlySpan<byte> type)
    {
        var json = _sse.Start(type);
        json.WriteStartObject();
        json.WriteString("type"u8, type);
        return json;
    }

    private void End(Utf8JsonWriter json)
    {
        json.WriteNumber("sequence_number"u8, _sequence++);
        json.WriteEndObject();
        _sse.End();
    }

    private void WriteResponse(Utf8JsonWriter json, State state, OpenAIError? error)
    {
        var request = answer.Request;
        var status = state switch
        {
            State.InProgress => "in_progress",
            State.Failed => "failed",
            _ => answer.Incomplete ? "incomplete" : "completed",
        };

        json.WriteStartObject();
        json.WriteString("id"u8, answer.Id);
        json.WriteString("object"u8, "response"u8);
        json.WriteNumber("created_at"u8, answer.CreatedAt);
        json.WriteString("status"u8, status);
        json.WriteBoolean("background"u8, false);
        if (status == "completed")
        {
            json.WriteNumber("completed_at"u8, answer.CreatedAt);
        }
        else
        {
            json.WriteNull("completed_at"u8);
        }

        if (state == State.Failed && error is not null)
        {
            json.WriteStartObject("error"u8);
            json.WriteString("code"u8, error.Code);
            json.WriteString("message"u8, error.Message);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("error"u8);
        }

        if (status == "incomplete")
        {
            json.WriteStartObject("incomplete_details"u8);
            json.WriteString("reason"u8, "max_output_tokens"u8);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("incomplete_details"u8);
        }

        WriteNullableString(json, "instructions"u8, request.Instructions);
        WriteNullableNumber(json, "max_output_tokens"u8, request.MaxOutputTokens);
        json.WriteNull("max_tool_calls"u8);
        json.WriteString("model"u8, request.Model);
        json.WriteStartArray("output"u8);
        if (state == State.Done)
        {
            if (answer.ReasoningId is not null)
            {
                WriteReasoningItem(json);
            }

            WriteMainItem(json, done: true);
        }

        json.WriteEndArray();
        json.WriteBoolean("parallel_tool_calls"u8, request.ParallelToolCalls);
        WriteNullableString(json, "previous_response_id"u8, request.PreviousResponseId);
        json.WriteNull("prompt_cache_key"u8);
        json.WriteNull("prompt_cache_retention"u8);
        json.WriteStartObject("reasoning"u8);
        WriteNullableString(json, "effort"u8, request.ReasoningEffort);
        WriteNullableString(json, "summary"u8, request.ReasoningSummary);
        json.WriteEndObject();
        json.WriteNull("safety_identifier"u8);
        json.WriteString("service_tier"u8, "default"u8);
        json.WriteBoolean("store"u8, request.Store);
        json.WritePropertyName("temperature"u8);
        json.WriteRawValue(request.TemperatureJson, skipInputValidation: true);
        json.WriteStartObject("text"u8);
        json.WriteStartObject("format"u8);
        json.WriteString("type"u8, "text"u8);
        json.WriteEndObject();
        json.WriteString("verbosity"u8, "medium"u8);
        json.WriteEndObject();
        json.WritePropertyName("tool_choice"u8);
        json.WriteRawValue(request.ToolChoiceJson, skipInputValidation: true);
        json.WritePropertyName("tools"u8);
        json.WriteRawValue(request.ToolsJson, skipInputValidation: true);
        json.WriteNumber("top_logprobs"u8, 0);
        json.WritePropertyName("top_p"u8);
        json.WriteRawValue(request.TopPJson, skipInputValidation: true);
        json.WriteString("truncation"u8, "disabled"u8);
        if (state == State.Done && !omitUsage)
        {
            json.WriteStartObject("usage"u8);
            json.WriteNumber("input_tokens"u8, answer.InputTokens);
            json.WriteStartObject("input_tokens_details"u8);
            json.WriteNumber("cached_tokens"u8, answer.CachedTokens);
            json.WriteEndObject();
            json.WriteNumber("output_tokens"u8, answer.OutputTokens);
            json.WriteStartObject("output_tokens_details"u8);
            json.WriteNumber("reasoning_tokens"u8, answer.ReasoningTokens);
            json.WriteEndObject();
            json.WriteNumber("total_tokens"u8, answer.InputTokens + answer.OutputTokens);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("usage"u8);
        }

        json.WriteNull("user"u8);
        json.WritePropertyName("metadata"u8);
        json.WriteRawValue(request.MetadataJson, skipInputValidation: true);
        json.WriteEndObject();
    }

    private void WriteReasoningItem(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, answer.ReasoningId);
        json.WriteString("type"u8, "reasoning"u8);
        if (answer.Request.EncryptedReasoning)
        {
            // Opaque to clients, who only send it back; deterministic per response.
            json.WriteString("encrypted_content"u8, Convert.ToBase64String(Encoding.UTF8.GetBytes("fake-reasoning:" + answer.Id)));
        }

        json.WriteStartArray("summary"u8);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The message or function_call item, in progress (empty) or done (whole).</summary>
    private void WriteMainItem(Utf8JsonWriter json, bool done)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, answer.ItemId);
        if (answer.ToolName is not null)
        {
            json.WriteString("type"u8, "function_call"u8);
            json.WriteString("status"u8, done ? "completed"u8 : "in_progress"u8);
            json.WriteString("arguments"u8, done ? answer.Arguments : string.Empty);
            json.WriteString("call_id"u8, answer.CallId);
            json.WriteString("name"u8, answer.ToolName);
        }
        else
        {
            json.WriteString("type"u8, "message"u8);
            json.WriteString("status"u8, !done ? "in_progress"u8 : answer.Incomplete ? "incomplete"u8 : "completed"u8);
            json.WriteStartArray("content"u8);
            if (done)
            {
                WriteTextPart(json, answer.Text);
            }

            json.WriteEndArray();
            json.WriteString("role"u8, "assistant"u8);
        }

        json.WriteEndObject();
    }

    private static void WriteTextPart(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "output_text"u8);
        json.WriteStartArray("annotations"u8);
        json.WriteEndArray();
        json.WriteStartArray("logprobs"u8);
        json.WriteEndArray();
        json.WriteString("text"u8, text);
        json.WriteEndObject();
    }

    private static void WriteNullableString(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteNullableNumber(Utf8JsonWriter json, ReadOnlySpan<byte> name, int? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
