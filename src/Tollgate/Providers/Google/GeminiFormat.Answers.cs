using System.Text;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Translation;

namespace Tollgate.Providers.Google;

/// <summary>Gemini answers (<c>GenerateContentResponse</c>), usage, finish reasons and errors.</summary>
internal sealed partial class GeminiFormat
{
    /// <inheritdoc />
    public ChatResult ReadResponse(ReadOnlySpan<byte> json)
    {
        var root = WireJson.Parse(json);
        List<ContentPart> output = [];
        string? finish = null;
        if (FirstCandidate(root) is { } candidate)
        {
            finish = candidate.Str("finishReason");
            if (candidate.Has("content", out var content))
            {
                var calls = 0;
                foreach (var part in content.Array("parts"))
                {
                    if (ReadPart(part, ref calls) is { } read)
                    {
                        output.Add(read);
                    }
                }
            }
        }

        return new ChatResult
        {
            Id = root.Str("responseId") ?? "gemini-0",
            Output = output,
            StopReason = ReadFinishReason(finish, output.Exists(p => p is ToolCallPart)),
            Usage = root.Has("usageMetadata", out var usage) && usage.ValueKind == JsonValueKind.Object ? ReadUsage(usage) : null,
            ImageOutputTokens = usage.ValueKind == JsonValueKind.Object ? ImageTokens(usage) : 0,
            Failure = BlockedPrompt(root),
        };
    }

    /// <inheritdoc />
    public IStreamDecoder CreateDecoder() => new GeminiStreamDecoder();

    /// <inheritdoc />
    public GatewayError? ReadError(int status, ReadOnlySpan<byte> body) => ReadGoogleError(status, body);

    /// <summary>The first candidate (the gateway never asks for more than one), or null.</summary>
    internal static JsonElement? FirstCandidate(JsonElement root)
    {
        foreach (var candidate in root.Array("candidates"))
        {
            return candidate;
        }

        return null;
    }

    /// <summary>
    /// One part of a candidate: text, a thought summary (<c>thought: true</c>, with its
    /// <c>thoughtSignature</c>), a <c>functionCall</c>, or an image the model made (<c>inlineData</c> with an
    /// <c>image/*</c> <c>mimeType</c> and base64 <c>data</c>); other parts (executable code, files) are skipped.
    /// A call without Gemini's optional <c>id</c> gets one made from its position, which the client sends
    /// back on the result and <see cref="WriteRequest"/> maps to the function's name; a call's thought
    /// signature rides in its id (<see cref="SplitCallId"/>).
    /// </summary>
    internal static ContentPart? ReadPart(JsonElement part, ref int calls)
    {
        if (part.Has("functionCall", out var call))
        {
            var id = JoinCallId(call.Str("id") ?? $"call_{calls}", part.Str("thoughtSignature"));
            calls++;
            return new ToolCallPart(id, call.Str("name") ?? string.Empty, call.Has("args", out var args) ? args.GetRawText() : "{}");
        }

        if (part.Str("text") is { } text)
        {
            return part.Bool("thought") is true ? new ThinkingPart(text, part.Str("thoughtSignature")) : new TextPart(text);
        }

        if (part.Has("inlineData", out var inline) && inline.ValueKind == JsonValueKind.Object
            && inline.Str("data") is { Length: > 0 } data && inline.Str("mimeType") is { } mime
            && mime.StartsWith("image/", StringComparison.Ordinal) && part.Bool("thought") is not true)
        {
            return new ImagePart(mime, data, null);
        }

        return null;
    }

    /// <summary>
    /// The output tokens Gemini counted for images: the <c>IMAGE</c> entries of
    /// <c>usageMetadata.candidatesTokensDetails</c> (each <c>{modality, tokenCount}</c>), within <c>candidatesTokenCount</c>.
    /// </summary>
    internal static long ImageTokens(JsonElement usage)
    {
        long tokens = 0;
        if (usage.TryGetProperty("candidatesTokensDetails", out var details) && details.ValueKind == JsonValueKind.Array)
        {
            foreach (var detail in details.EnumerateArray())
            {
                if (detail.ValueKind == JsonValueKind.Object && detail.TryGetProperty("modality", out var modality)
                    && modality.ValueKind == JsonValueKind.String && modality.ValueEquals("IMAGE"u8))
                {
                    tokens += detail.Count("tokenCount");
                }
            }
        }

        return Math.Min(tokens, usage.Count("candidatesTokenCount"));
    }

    /// <summary>
    /// Gemini usage into the internal form. <c>promptTokenCount</c> includes the cached tokens
    /// (<c>cachedContentTokenCount</c>), so uncached input is the difference, plus tool-use prompt tokens
    /// (billed as input); <c>candidatesTokenCount</c> excludes thinking, which is
    /// <c>thoughtsTokenCount</c> (billed at the output price, like OpenAI's reasoning tokens).
    /// </summary>
    internal static TokenUsage ReadUsage(JsonElement usage)
    {
        var prompt = usage.Count("promptTokenCount");
        var cached = Math.Min(usage.Count("cachedContentTokenCount"), prompt);
        return new TokenUsage(prompt - cached + usage.Count("toolUsePromptTokenCount"), cached, 0,
            usage.Count("candidatesTokenCount"), usage.Count("thoughtsTokenCount"));
    }

    /// <summary>
    /// A finish reason into the internal one: <c>STOP</c> is a natural end (or tool use, when the answer
    /// holds calls; Gemini has no reason of its own for that, nor says which stop sequence matched),
    /// <c>MAX_TOKENS</c> the output limit, and every blocking reason (<c>SAFETY</c>, <c>RECITATION</c>,
    /// <c>BLOCKLIST</c>, <c>PROHIBITED_CONTENT</c>, <c>SPII</c>, <c>IMAGE_SAFETY</c>, ...) a content filter.
    /// </summary>
    internal static StopReason ReadFinishReason(string? reason, bool hasToolCalls) => reason switch
    {
        "MAX_TOKENS" => StopReason.MaxTokens,
        "SAFETY" or "RECITATION" or "LANGUAGE" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII"
            or "IMAGE_SAFETY" or "IMAGE_PROHIBITED_CONTENT" or "IMAGE_RECITATION" => StopReason.ContentFilter,
        _ when hasToolCalls => StopReason.ToolUse,
        _ => StopReason.EndTurn,
    };

    /// <summary>
    /// A prompt Gemini refused to answer (<c>promptFeedback.blockReason</c>, no candidates): a 400 the
    /// client sees in its own format, naming the reason.
    /// </summary>
    internal static GatewayError? BlockedPrompt(JsonElement root)
    {
        if (!root.Has("promptFeedback", out var feedback) || feedback.Str("blockReason") is not { } reason)
        {
            return null;
        }

        return new GatewayError(StatusCodes.Status400BadRequest, "invalid_request_error", "prompt_blocked",
            $"The provider blocked the prompt ({reason}).");
    }

    /// <summary>
    /// Google's error body <c>{"error":{"code","message","status"}}</c> (AI Studio and Vertex alike) as
    /// the gateway's error at the provider's HTTP status, its <c>status</c> (<c>INVALID_ARGUMENT</c>,
    /// <c>PERMISSION_DENIED</c>, <c>RESOURCE_EXHAUSTED</c>, ...) as the code; null for another body.
    /// </summary>
    internal static GatewayError? ReadGoogleError(int status, ReadOnlySpan<byte> body)
    {
        try
        {
            return ReadGoogleError(status, WireJson.Parse(body));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Google's error body, already parsed (see <see cref="ReadGoogleError(int, ReadOnlySpan{byte})"/>).</summary>
    internal static GatewayError? ReadGoogleError(int status, JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
        {
            root = root[0]; // a stream's error may come as a one-element array
        }

        if (root.ValueKind != JsonValueKind.Object || !root.Has("error", out var error) || error.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var code = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "UNKNOWN";
        var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : $"HTTP {status}";
        var type = status switch
        {
            400 or 404 or 413 => "invalid_request_error",
            401 => "authentication_error",
            403 => "permission_error",
            429 => "rate_limit_error",
            _ => "api_error",
        };
        return new GatewayError(status, type, code.ToLowerInvariant(), $"The provider answered HTTP {status} {code}: {message}");
    }

    /// <summary>UTF-8 bytes of generated content in a part list.</summary>
    internal static long ContentBytes(List<ContentPart> parts)
    {
        long bytes = 0;
        foreach (var part in parts)
        {
            bytes += part switch
            {
                TextPart t => Encoding.UTF8.GetByteCount(t.Text),
                ThinkingPart th => Encoding.UTF8.GetByteCount(th.Text),
                ToolCallPart c => Encoding.UTF8.GetByteCount(c.ArgumentsJson),
                _ => 0,
            };
        }

        return bytes;
    }
}
