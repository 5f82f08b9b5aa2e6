using System.Text.Json;
using Tollgate.Catalog;

namespace Tollgate.Providers.Anthropic;

/// <summary>What the gateway needs of one Anthropic message or stream event.</summary>
/// <param name="Type">The object's or event's <c>type</c> (<c>message</c>, <c>message_start</c>, <c>message_delta</c>, <c>error</c>, ...).</param>
/// <param name="Usage">The usage fields present (each null when absent).</param>
/// <param name="ContentBytes">Bytes of generated text, tool input JSON and thinking in the object or delta.</param>
/// <param name="ModelStart">Where the message's <c>model</c> string token starts; 0 with <paramref name="ModelLength"/> 0 when absent.</param>
/// <param name="ModelLength">The token's length, quotes included.</param>
/// <param name="ErrorMessage">For an <c>error</c> event: its message.</param>
internal readonly record struct AnthropicInfo(string? Type, AnthropicUsage Usage, long ContentBytes, int ModelStart, int ModelLength, string? ErrorMessage, string? ErrorType);

/// <summary>Anthropic usage as reported: input excludes cache reads and writes. Null fields were not in the report.</summary>
internal readonly record struct AnthropicUsage(long? Input, long? Output, long? CacheWrite, long? CacheRead)
{
    /// <summary>Any field present.</summary>
    public bool Any => Input is not null || Output is not null || CacheWrite is not null || CacheRead is not null;

    /// <summary>This report over <paramref name="earlier"/>: later fields win (message_delta counts are cumulative).</summary>
    public AnthropicUsage Over(AnthropicUsage earlier) =>
        new(Input ?? earlier.Input, Output ?? earlier.Output, CacheWrite ?? earlier.CacheWrite, CacheRead ?? earlier.CacheRead);

    /// <summary>As the gateway counts tokens.</summary>
    public TokenUsage ToTokenUsage() => new(Input ?? 0, CacheRead ?? 0, CacheWrite ?? 0, Output ?? 0, 0);
}

/// <summary>
/// Reads usage, generated-content size, the model field and errors from Anthropic Messages JSON (a
/// <c>message</c>) and stream events, with a forward-only reader: <c>message_start</c> carries the
/// message (input and cache usage), <c>message_delta</c> the cumulative output usage,
/// <c>content_block_delta</c> the generated text.
/// </summary>
internal static class AnthropicUsageReader
{
    /// <summary>Inspects a message object or one stream event's data.</summary>
    public static AnthropicInfo Inspect(ReadOnlySpan<byte> json)
    {
        string? type = null, errorMessage = null, errorType = null;
        AnthropicUsage usage = default;
        long content = 0;
        int modelStart = 0, modelLength = 0;
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
                else if (reader.ValueTextEquals("message"u8))
                {
                    // message_start: the message object itself
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        var offset = (int)reader.TokenStartIndex;
                        var inner = Inspect(json[offset..SkipEnd(ref reader)]);
                        usage = inner.Usage.Over(usage);
                        content += inner.ContentBytes;
                        if (inner.ModelLength > 0)
                        {
                            (modelStart, modelLength) = (offset + inner.ModelStart, inner.ModelLength);
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
                    usage = ReadUsage(ref reader).Over(usage);
                }
                else if (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("content_block"u8))
                {
                    reader.Read();
                    content += CountGenerated(ref reader);
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    (errorType, errorMessage) = ReadError(ref reader);
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

        return new AnthropicInfo(type, usage, content, modelStart, modelLength, errorMessage, errorType);
    }

    private static int SkipEnd(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return (int)reader.BytesConsumed;
    }

    private static AnthropicUsage ReadUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return default;
        }

        long? input = null, output = null, write = null, read = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("input_tokens"u8) ? 1
                : reader.ValueTextEquals("output_tokens"u8) ? 2
                : reader.ValueTextEquals("cache_creation_input_tokens"u8) ? 3
                : reader.ValueTextEquals("cache_read_input_tokens"u8) ? 4
                : 0;
            reader.Read();
            long? value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) && n >= 0 ? n : null;
            switch (field)
            {
                case 1: input = value ?? input; break;
                case 2: output = value ?? output; break;
                case 3: write = value ?? write; break;
                case 4: read = value ?? read; break;
                default: reader.Skip(); break;
            }
        }

        return new AnthropicUsage(input, output, write, read);
    }

    // Generated text: "text", "partial_json", "thinking" strings anywhere inside content blocks and deltas.
    private static long CountGenerated(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return 0;
        }

        long bytes = 0;
        var depth = reader.CurrentDepth;
        var counting = false;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                counting = reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("partial_json"u8) || reader.ValueTextEquals("thinking"u8);
            }
            else if (reader.TokenType == JsonTokenType.String && counting)
            {
                bytes += reader.ValueSpan.Length;
                counting = false;
            }
        }

        return bytes;
    }

    private static (string? Type, string? Message) ReadError(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return (null, null);
        }

        string? type = null, message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            var isMessage = reader.ValueTextEquals("message"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.String && (isType || isMessage))
            {
                if (isType)
                {
                    type = reader.GetString();
                }
                else
                {
                    message = reader.GetString();
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return (type, message);
    }
}
