using System.Text.Json;
using Tollgate.Catalog;

namespace Tollgate.Providers.OpenAI;

/// <summary>What the gateway needs of one Responses object or stream event.</summary>
/// <param name="Type">An event's <c>type</c> (<c>response.completed</c>, ...); null for a bare response object.</param>
/// <param name="Usage">The response's usage, when present.</param>
/// <param name="ContentBytes">Bytes of generated text or tool arguments (event deltas, or a response's output text).</param>
/// <param name="ModelStart">Where the response's <c>model</c> string token starts.</param>
/// <param name="ModelLength">The token's length, quotes included; 0 when absent.</param>
/// <param name="ResponseStart">In an event: where the embedded <c>response</c> object starts.</param>
/// <param name="ResponseLength">Its length; 0 when the event carries none.</param>
/// <param name="Id">The response's id.</param>
/// <param name="SequenceNumber">An event's <c>sequence_number</c>.</param>
/// <param name="ErrorMessage">The message of an <c>error</c> event or of a failed response's <c>error</c>.</param>
internal readonly record struct ResponsesInfo(
    string? Type, TokenUsage? Usage, long ContentBytes, int ModelStart, int ModelLength, int ResponseStart, int ResponseLength,
    string? Id, long? SequenceNumber, string? ErrorMessage, string? ErrorCode);

/// <summary>
/// Reads OpenAI Responses JSON with a forward-only reader: a response object (JSON answers, and the
/// <c>response</c> inside <c>response.*</c> events) or a stream event (<c>response.output_text.delta</c>,
/// <c>response.function_call_arguments.delta</c>, <c>error</c>, ...).
/// </summary>
internal static class ResponsesUsageReader
{
    /// <summary>Inspects one object.</summary>
    public static ResponsesInfo Inspect(ReadOnlySpan<byte> json)
    {
        string? type = null, id = null, errorMessage = null, errorCode = null;
        TokenUsage? usage = null;
        long content = 0;
        long? sequence = null;
        int modelStart = 0, modelLength = 0, responseStart = 0, responseLength = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : id;
                }
                else if (reader.ValueTextEquals("sequence_number"u8))
                {
                    reader.Read();
                    sequence = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) ? n : null;
                }
                else if (reader.ValueTextEquals("response"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        responseStart = (int)reader.TokenStartIndex;
                        reader.Skip();
                        responseLength = (int)reader.BytesConsumed - responseStart;
                        var inner = Inspect(json.Slice(responseStart, responseLength));
                        usage = inner.Usage ?? usage;
                        id = inner.Id ?? id;
                        errorMessage = inner.ErrorMessage ?? errorMessage;
                        errorCode = inner.ErrorCode ?? errorCode;
                        if (inner.ModelLength > 0)
                        {
                            (modelStart, modelLength) = (responseStart + inner.ModelStart, inner.ModelLength);
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        modelStart = (int)reader.TokenStartIndex;
                        modelLength = (int)(reader.BytesConsumed - reader.TokenStartIndex);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    usage = ReadUsage(ref reader);
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    content += reader.TokenType == JsonTokenType.String ? reader.ValueSpan.Length : 0;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("output"u8))
                {
                    reader.Read();
                    content += CountOutput(ref reader);
                }
                else if (reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("code"u8))
                {
                    // an `error` event: {"type":"error","code":...,"message":...}
                    var isMessage = reader.ValueTextEquals("message"u8);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        if (isMessage)
                        {
                            errorMessage = reader.GetString();
                        }
                        else
                        {
                            errorCode = reader.GetString();
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        var start = (int)reader.TokenStartIndex;
                        reader.Skip();
                        var inner = Inspect(json[start..(int)reader.BytesConsumed]);
                        errorMessage = inner.ErrorMessage;
                        errorCode = inner.ErrorCode;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // A malformed event carries nothing the gateway reads; it is relayed as it came.
        }

        return new ResponsesInfo(type, usage, content, modelStart, modelLength, responseStart, responseLength, id, sequence, errorMessage, errorCode);
    }

    private static TokenUsage? ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        long input = 0, output = 0, cached = 0, reasoning = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input_tokens"u8))
            {
                input = OpenAIUsageReader.ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                output = OpenAIUsageReader.ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("input_tokens_details"u8))
            {
                cached = OpenAIUsageReader.ReadNested(ref reader, "cached_tokens"u8);
            }
            else if (reader.ValueTextEquals("output_tokens_details"u8))
            {
                reasoning = OpenAIUsageReader.ReadNested(ref reader, "reasoning_tokens"u8);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        cached = Math.Clamp(cached, 0, input);
        reasoning = Math.Clamp(reasoning, 0, output);
        // Cached tokens are counted inside input_tokens, reasoning inside output_tokens.
        return new TokenUsage(input - cached, cached, 0, output - reasoning, reasoning);
    }

    // Output items: text of output_text parts and function call arguments.
    private static long CountOutput(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return 0;
        }

        long bytes = 0;
        var depth = reader.CurrentDepth;
        var counting = false;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                counting = reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("arguments"u8);
            }
            else if (reader.TokenType == JsonTokenType.String && counting)
            {
                bytes += reader.ValueSpan.Length;
                counting = false;
            }
        }

        return bytes;
    }
}
