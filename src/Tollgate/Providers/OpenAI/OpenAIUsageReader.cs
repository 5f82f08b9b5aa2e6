using System.Text.Json;
using Tollgate.Catalog;

namespace Tollgate.Providers.OpenAI;

/// <summary>What the gateway needs to know of one OpenAI chat response or stream chunk.</summary>
/// <param name="HasUsage">A non-null <c>usage</c> object was present.</param>
/// <param name="Usage">The usage, normalised (cached input and reasoning split out).</param>
/// <param name="ContentBytes">UTF-8 bytes of generated text in <c>choices[].delta/message.content</c>.</param>
/// <param name="ChoicesEmpty">The chunk had <c>"choices":[]</c>: the usage-only chunk of <c>include_usage</c>.</param>
/// <param name="ModelStart">Where the top-level <c>model</c> string token starts (its opening quote).</param>
/// <param name="ModelLength">The token's length, quotes included; 0 when there is none.</param>
public readonly record struct OpenAIChunkInfo(bool HasUsage, TokenUsage Usage, long ContentBytes, bool ChoicesEmpty, int ModelStart = 0, int ModelLength = 0);

/// <summary>
/// Reads usage and generated-text size from OpenAI Chat Completions JSON with a forward-only
/// <see cref="Utf8JsonReader"/>: no DOM, no strings, so it can run on every stream chunk.
/// </summary>
public static class OpenAIUsageReader
{
    /// <summary>Inspects a <c>chat.completion</c> body or a <c>chat.completion.chunk</c>.</summary>
    public static OpenAIChunkInfo Inspect(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true });
        var hasUsage = false;
        TokenUsage usage = default;
        long contentBytes = 0;
        var choicesEmpty = false;
        int modelStart = 0, modelLength = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        usage = ReadUsage(ref reader);
                        hasUsage = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        var count = 0;
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            count++;
                            contentBytes += ReadChoiceContentBytes(ref reader);
                        }

                        choicesEmpty = count == 0;
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
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // A malformed chunk carries no usage; the relay forwards it untouched.
        }

        return new OpenAIChunkInfo(hasUsage, usage, contentBytes, choicesEmpty, modelStart, modelLength);
    }

    private static TokenUsage ReadUsage(ref Utf8JsonReader reader)
    {
        long prompt = 0, completion = 0, cached = 0, reasoning = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                prompt = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                completion = ReadLong(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                cached = ReadNested(ref reader, "cached_tokens"u8);
            }
            else if (reader.ValueTextEquals("completion_tokens_details"u8))
            {
                reasoning = ReadNested(ref reader, "reasoning_tokens"u8);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        cached = Math.Clamp(cached, 0, prompt);
        reasoning = Math.Clamp(reasoning, 0, completion);
        // OpenAI counts cached tokens inside prompt_tokens and reasoning inside completion_tokens.
        return new TokenUsage(prompt - cached, cached, 0, completion - reasoning, reasoning);
    }

    /// <summary>The next value as a non-negative count (0 when it is not one).</summary>
    internal static long ReadLong(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v) && v > 0 ? v : 0;
    }

    /// <summary>The count <paramref name="name"/> inside the next object (0 when absent).</summary>
    internal static long ReadNested(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return 0;
        }

        long value = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                value = ReadLong(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return value;
    }

    // Positioned on a choice's StartObject; returns the byte length of delta.content or message.content.
    private static long ReadChoiceContentBytes(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return 0;
        }

        long bytes = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isText = reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("refusal"u8);
                    var isToolCall = reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8);
                    reader.Read();
                    if (isText && reader.TokenType == JsonTokenType.String)
                    {
                        bytes += reader.ValueSpan.Length;
                    }
                    else if (isToolCall)
                    {
                        // Tool-call names and arguments are generated output too.
                        bytes += SkipCountingStrings(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return bytes;
    }

    private static long SkipCountingStrings(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return reader.TokenType == JsonTokenType.String ? reader.ValueSpan.Length : 0;
        }

        long bytes = 0;
        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                bytes += reader.ValueSpan.Length;
            }
        }

        return bytes;
    }
}
