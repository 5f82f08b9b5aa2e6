using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>What the fake needs from a Chat Completions request body.</summary>
/// <param name="Model">The <c>model</c>, echoed in the answer.</param>
/// <param name="Stream">Whether <c>"stream": true</c>.</param>
/// <param name="IncludeUsage">Whether <c>stream_options.include_usage</c> is true.</param>
/// <param name="MaxTokens"><c>max_completion_tokens</c>, else <c>max_tokens</c>, else null.</param>
/// <param name="PromptTokens">max(1, ceil(UTF-8 bytes of all message text / 4)).</param>
internal sealed record ChatRequest(string Model, bool Stream, bool IncludeUsage, int? MaxTokens, int PromptTokens)
{
    /// <summary>
    /// Parses <paramref name="body"/> once. Directives in the last user message are applied to
    /// <paramref name="knobs"/>. A bad request comes back as an error value, not an exception.
    /// </summary>
    public static ChatRequest? Parse(in ReadOnlySequence<byte> body, ref FakeKnobs knobs, out OpenAIError? error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            error = OpenAIError.InvalidJson;
            return null;
        }

        using (document)
        {
            return Parse(document.RootElement, ref knobs, out error);
        }
    }

    private static ChatRequest? Parse(JsonElement root, ref FakeKnobs knobs, out OpenAIError? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = OpenAIError.BadRequest("Invalid request body: expected a JSON object.", param: null, code: null);
            return null;
        }

        if (!root.TryGetProperty("model"u8, out var modelElement) || modelElement.ValueKind != JsonValueKind.String)
        {
            error = OpenAIError.BadRequest("you must provide a model parameter", param: null, code: null);
            return null;
        }

        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            error = OpenAIError.BadRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
            return null;
        }

        var stream = root.TryGetProperty("stream"u8, out var streamElement) && streamElement.ValueKind == JsonValueKind.True;
        var includeUsage = false;
        if (root.TryGetProperty("stream_options"u8, out var streamOptions) && streamOptions.ValueKind != JsonValueKind.Null)
        {
            if (!stream)
            {
                error = OpenAIError.BadRequest(
                    "The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options", null);
                return null;
            }

            includeUsage = streamOptions.ValueKind == JsonValueKind.Object
                && streamOptions.TryGetProperty("include_usage"u8, out var include)
                && include.ValueKind == JsonValueKind.True;
        }

        int? maxTokens = null;
        foreach (var name in MaxTokenNames)
        {
            if (root.TryGetProperty(name, out var limit) && limit.ValueKind != JsonValueKind.Null)
            {
                if (!limit.TryGetInt32(out var value) || value < 1)
                {
                    error = OpenAIError.BadRequest(
                        $"Invalid '{name}': expected an integer >= 1, but got {limit.GetRawText()} instead.",
                        name,
                        "integer_below_min_value");
                    return null;
                }

                maxTokens = value;
                break;
            }
        }

        // Prompt size and the last user message in one pass over the messages.
        long textBytes = 0;
        JsonElement lastUser = default;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                error = OpenAIError.BadRequest("Invalid type for 'messages': expected an array of objects.", "messages", "invalid_type");
                return null;
            }

            if (message.TryGetProperty("content"u8, out var content))
            {
                textBytes += TextBytes(content);
                if (message.TryGetProperty("role"u8, out var role) && role.ValueEquals("user"u8))
                {
                    lastUser = content;
                }
            }
        }

        if (lastUser.ValueKind != JsonValueKind.Undefined)
        {
            ApplyDirectives(lastUser, ref knobs);
        }

        var promptTokens = (int)Math.Max(1, (textBytes + 3) / 4);
        return new ChatRequest(modelElement.GetString()!, stream, includeUsage, maxTokens, promptTokens);
    }

    private static readonly string[] MaxTokenNames = ["max_completion_tokens", "max_tokens"];

    private static readonly byte[] DirectiveMarker = "fake:"u8.ToArray();

    /// <summary>UTF-8 bytes of the text in a <c>content</c>: a string, or the <c>text</c> of each part.</summary>
    private static long TextBytes(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return StringBytes(content);
            case JsonValueKind.Array:
                long total = 0;
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        total += StringBytes(text);
                    }
                }

                return total;
            default:
                return 0;
        }
    }

    private static int StringBytes(JsonElement text)
    {
        // The raw value includes the quotes; without escapes it is the text itself, so no string is made.
        var raw = JsonMarshal.GetRawUtf8Value(text);
        return raw.IndexOf((byte)'\\') < 0 ? raw.Length - 2 : Encoding.UTF8.GetByteCount(text.GetString()!);
    }

    private static void ApplyDirectives(JsonElement content, ref FakeKnobs knobs)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            ApplyDirectivesFromText(content, ref knobs);
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                {
                    ApplyDirectivesFromText(text, ref knobs);
                }
            }
        }
    }

    private static void ApplyDirectivesFromText(JsonElement text, ref FakeKnobs knobs)
    {
        // Only text that mentions a directive is decoded to a string.
        if (JsonMarshal.GetRawUtf8Value(text).IndexOf(DirectiveMarker) >= 0)
        {
            knobs.ApplyDirectives(text.GetString());
        }
    }
}
