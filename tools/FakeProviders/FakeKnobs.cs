using System.Buffers;
using System.Globalization;

namespace Tollgate.FakeProviders;

/// <summary>
/// The knobs in force for one request: <see cref="FakeOptions"/>, then <c>x-fake-*</c> headers, then
/// <c>fake:name=value</c> directives in the last user message (the body wins, because it is what
/// survives a gateway that forwards only the body).
/// </summary>
internal struct FakeKnobs
{
    public int LatencyMs;
    public int ChunkDelayMs;
    public int Chunks;
    public int? Status;
    public int? CutAfterChunks;
    public bool OmitUsage;
    public int CachedTokens;
    public int ReasoningTokens;
    public int CacheWriteTokens;
    public int? ErrorAfterChunks;
    public string? ErrorType;
    public bool ErrorEventOnly;
    public bool ToolCall;
    public string? ToolName;
    public int? CorruptAfterChunks;
    public string? SafetyBlock;
    public string? FinishReason;

    private const string DirectivePrefix = "fake:";
    private const string HeaderPrefix = "x-fake-";

    private static readonly SearchValues<char> Whitespace = SearchValues.Create(" \t\r\n");

    public static FakeKnobs From(FakeOptions options) => new()
    {
        LatencyMs = options.LatencyMs,
        ChunkDelayMs = options.ChunkDelayMs,
        Chunks = options.Chunks,
        Status = options.Status,
        CutAfterChunks = options.CutAfterChunks,
        OmitUsage = options.OmitUsage,
        CachedTokens = options.CachedTokens,
        ReasoningTokens = options.ReasoningTokens,
        CacheWriteTokens = options.CacheWriteTokens,
        ErrorAfterChunks = options.ErrorAfterChunks,
        ErrorType = options.ErrorType,
        ErrorEventOnly = options.ErrorEvent == "error",
        ToolCall = options.ToolCall,
        ToolName = options.ToolName,
        SafetyBlock = options.SafetyBlock,
        FinishReason = options.FinishReason,
    };

    /// <summary>Applies any <c>x-fake-*</c> headers.</summary>
    public void ApplyHeaders(IHeaderDictionary headers)
    {
        // Most requests carry none: one pass over the headers instead of a lookup per knob.
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                Apply(name.AsSpan(HeaderPrefix.Length), ((string?)value ?? string.Empty).AsSpan(), dashes: true);
            }
        }
    }

    /// <summary>Applies every <c>fake:name=value</c> token found in <paramref name="text"/>.</summary>
    public void ApplyDirectives(ReadOnlySpan<char> text)
    {
        int at;
        while ((at = text.IndexOf(DirectivePrefix, StringComparison.Ordinal)) >= 0)
        {
            text = text[(at + DirectivePrefix.Length)..];
            var end = text.IndexOfAny(Whitespace);
            var token = end < 0 ? text : text[..end];
            var equals = token.IndexOf('=');
            if (equals > 0)
            {
                Apply(token[..equals], token[(equals + 1)..], dashes: false);
            }

            text = end < 0 ? [] : text[end..];
        }
    }

    private void Apply(ReadOnlySpan<char> name, ReadOnlySpan<char> value, bool dashes)
    {
        // Headers spell names with dashes (chunk-delay-ms), directives with underscores (chunk_delay_ms).
        Span<char> normal = stackalloc char[Math.Min(name.Length, 32)];
        var length = Math.Min(name.Length, normal.Length);
        for (var i = 0; i < length; i++)
        {
            var c = char.ToLowerInvariant(name[i]);
            normal[i] = dashes && c == '-' ? '_' : c;
        }

        switch (normal[..length])
        {
            case "latency_ms":
                SetInt(ref LatencyMs, value);
                break;
            case "chunk_delay_ms":
                SetInt(ref ChunkDelayMs, value);
                break;
            case "chunks":
                SetInt(ref Chunks, value);
                break;
            case "status":
                Status = ParseOptional(value, Status);
                break;
            case "cut_after":
            case "cut_after_chunks":
                CutAfterChunks = ParseOptional(value, CutAfterChunks);
                break;
            case "omit_usage":
                SetBool(ref OmitUsage, value);
                break;
            case "tool_call":
                SetBool(ref ToolCall, value);
                break;
            case "tool_name":
                ToolName = value.IsEmpty || value.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : value.ToString();
                break;
            case "cache_write_tokens":
                SetInt(ref CacheWriteTokens, value);
                break;
            case "error_after":
            case "error_after_chunks":
                ErrorAfterChunks = ParseOptional(value, ErrorAfterChunks);
                break;
            case "error_type":
                ErrorType = value.IsEmpty || value.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : value.ToString();
                break;
            case "error_event":
                ErrorEventOnly = value.Equals("error", StringComparison.OrdinalIgnoreCase);
                break;
            case "corrupt_after":
                CorruptAfterChunks = ParseOptional(value, CorruptAfterChunks);
                break;
            case "cached_tokens":
                SetInt(ref CachedTokens, value);
                break;
            case "safety_block":
                SafetyBlock = value.IsEmpty || value.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : value.ToString();
                break;
            case "finish_reason":
                FinishReason = value.IsEmpty || value.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : value.ToString();
                break;
            case "reasoning_tokens":
                SetInt(ref ReasoningTokens, value);
                break;
            default:
                break;
        }
    }

    private static void SetBool(ref bool field, ReadOnlySpan<char> value)
    {
        if (bool.TryParse(value, out var parsed))
        {
            field = parsed;
        }
        else if (value is "1" or "0")
        {
            field = value is "1";
        }
    }

    private static void SetInt(ref int field, ReadOnlySpan<char> value)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            field = parsed;
        }
    }

    /// <summary>A number sets the knob; <c>none</c> (or an empty value) clears it; anything else leaves it.</summary>
    private static int? ParseOptional(ReadOnlySpan<char> value, int? current)
    {
        if (value.IsEmpty || value.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : current;
    }
}
