using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>
/// Writes one answer straight into the response pipe: a <c>chat.completion</c> object, or the
/// <c>chat.completion.chunk</c> events of a stream. Field order and shapes follow api.openai.com.
/// One instance per request; the id and model are encoded once.
/// </summary>
internal sealed class ChatCompletionWriter : IDisposable
{
    private const string Fingerprint = "fp_fake0001";

    private readonly PipeWriter _pipe;
    private readonly Utf8JsonWriter _json;
    private readonly JsonEncodedText _id;
    private readonly JsonEncodedText _model;
    private readonly long _created;

    public ChatCompletionWriter(PipeWriter pipe, string id, string model, long created)
    {
        _pipe = pipe;
        _json = new Utf8JsonWriter(pipe, OpenAIError.WriterOptions);
        _id = JsonEncodedText.Encode(id, OpenAIError.WriterOptions.Encoder);
        _model = JsonEncodedText.Encode(model, OpenAIError.WriterOptions.Encoder);
        _created = created;
    }

    /// <summary>The text of content token <paramref name="index"/>: <c>"tok{index} "</c>.</summary>
    public static int FormatToken(int index, Span<char> destination)
    {
        "tok".CopyTo(destination);
        index.TryFormat(destination[3..], out var digits, default, CultureInfo.InvariantCulture);
        destination[3 + digits] = ' ';
        return digits + 4;
    }

    /// <summary>The whole non-streaming answer.</summary>
    public void WriteCompletion(int contentTokens, string finishReason, in Usage? usage)
    {
        _json.Reset(_pipe);
        _json.WriteStartObject();
        WriteHeader("chat.completion"u8, chunk: false);
        _json.WriteStartArray("choices"u8);
        _json.WriteStartObject();
        _json.WriteNumber("index"u8, 0);
        _json.WriteStartObject("message"u8);
        _json.WriteString("role"u8, "assistant"u8);
        _json.WritePropertyName("content"u8);
        Span<char> token = stackalloc char[16];
        if (contentTokens == 0)
        {
            _json.WriteStringValue(""u8);
        }

        for (var i = 0; i < contentTokens; i++)
        {
            _json.WriteStringValueSegment(token[..FormatToken(i, token)], isFinalSegment: i == contentTokens - 1);
        }

        _json.WriteNull("refusal"u8);
        _json.WriteStartArray("annotations"u8);
        _json.WriteEndArray();
        _json.WriteEndObject();
        _json.WriteNull("logprobs"u8);
        _json.WriteString("finish_reason"u8, finishReason);
        _json.WriteEndObject();
        _json.WriteEndArray();
        if (usage is { } value)
        {
            WriteUsage(value);
        }

        _json.WriteString("service_tier"u8, "default"u8);
        _json.WriteString("system_fingerprint"u8, Fingerprint);
        _json.WriteEndObject();
        _json.Flush();
    }

    /// <summary>The first chunk: <c>delta: {"role":"assistant","content":"","refusal":null}</c>.</summary>
    public void WriteRoleChunk(bool usageNull)
    {
        StartChunk();
        _json.WriteStartObject("delta"u8);
        _json.WriteString("role"u8, "assistant"u8);
        _json.WriteString("content"u8, ""u8);
        _json.WriteNull("refusal"u8);
        _json.WriteEndObject();
        EndChunk(finishReason: null, usageNull);
    }

    /// <summary>A content chunk carrying token <paramref name="index"/>.</summary>
    public void WriteContentChunk(int index, bool usageNull)
    {
        StartChunk();
        Span<char> token = stackalloc char[16];
        _json.WriteStartObject("delta"u8);
        _json.WriteString("content"u8, token[..FormatToken(index, token)]);
        _json.WriteEndObject();
        EndChunk(finishReason: null, usageNull);
    }

    /// <summary>The chunk with an empty delta and the finish reason.</summary>
    public void WriteFinishChunk(string finishReason, bool usageNull)
    {
        StartChunk();
        _json.WriteStartObject("delta"u8);
        _json.WriteEndObject();
        EndChunk(finishReason, usageNull);
    }

    /// <summary>Mistral's last chunk: the finish reason and, in the same chunk, the usage of the whole request.</summary>
    public void WriteFinishChunkWithUsage(string finishReason, in Usage usage)
    {
        StartChunk();
        _json.WriteStartObject("delta"u8);
        _json.WriteEndObject();
        _json.WriteString("finish_reason"u8, finishReason);
        _json.WriteEndObject();
        _json.WriteEndArray();
        WriteUsage(usage);
        _json.WriteEndObject();
        _json.Flush();
        _pipe.Write("\n\n"u8);
    }

    /// <summary>The <c>include_usage</c> chunk: <c>"choices":[]</c> and the usage of the whole request.</summary>
    public void WriteUsageChunk(in Usage usage)
    {
        _pipe.Write("data: "u8);
        _json.Reset(_pipe);
        _json.WriteStartObject();
        WriteHeader("chat.completion.chunk"u8, chunk: true);
        _json.WriteStartArray("choices"u8);
        _json.WriteEndArray();
        WriteUsage(usage);
        _json.WriteEndObject();
        _json.Flush();
        _pipe.Write("\n\n"u8);
    }

    /// <summary>The terminator, <c>data: [DONE]</c>.</summary>
    public void WriteDone() => _pipe.Write("data: [DONE]\n\n"u8);

    public void Dispose() => _json.Dispose();

    private void StartChunk()
    {
        _pipe.Write("data: "u8);
        _json.Reset(_pipe);
        _json.WriteStartObject();
        WriteHeader("chat.completion.chunk"u8, chunk: true);
        _json.WriteStartArray("choices"u8);
        _json.WriteStartObject();
        _json.WriteNumber("index"u8, 0);
    }

    private void EndChunk(string? finishReason, bool usageNull)
    {
        _json.WriteNull("logprobs"u8);
        if (finishReason is null)
        {
            _json.WriteNull("finish_reason"u8);
        }
        else
        {
            _json.WriteString("finish_reason"u8, finishReason);
        }

        _json.WriteEndObject();
        _json.WriteEndArray();
        if (usageNull)
        {
            // With include_usage every chunk but the last carries "usage": null, as OpenAI's do.
            _json.WriteNull("usage"u8);
        }

        _json.WriteEndObject();
        _json.Flush();
        _pipe.Write("\n\n"u8);
    }

    private void WriteHeader(ReadOnlySpan<byte> objectType, bool chunk)
    {
        _json.WriteString("id"u8, _id);
        _json.WriteString("object"u8, objectType);
        _json.WriteNumber("created"u8, _created);
        _json.WriteString("model"u8, _model);
        if (chunk)
        {
            _json.WriteString("service_tier"u8, "default"u8);
            _json.WriteString("system_fingerprint"u8, Fingerprint);
        }
    }

    private void WriteUsage(in Usage usage)
    {
        _json.WriteStartObject("usage"u8);
        _json.WriteNumber("prompt_tokens"u8, usage.PromptTokens);
        _json.WriteNumber("completion_tokens"u8, usage.CompletionTokens);
        _json.WriteNumber("total_tokens"u8, usage.PromptTokens + usage.CompletionTokens);
        _json.WriteStartObject("prompt_tokens_details"u8);
        _json.WriteNumber("cached_tokens"u8, usage.CachedTokens);
        _json.WriteNumber("audio_tokens"u8, 0);
        _json.WriteEndObject();
        _json.WriteStartObject("completion_tokens_details"u8);
        _json.WriteNumber("reasoning_tokens"u8, usage.ReasoningTokens);
        _json.WriteNumber("audio_tokens"u8, 0);
        _json.WriteNumber("accepted_prediction_tokens"u8, 0);
        _json.WriteNumber("rejected_prediction_tokens"u8, 0);
        _json.WriteEndObject();
        _json.WriteEndObject();
    }
}
