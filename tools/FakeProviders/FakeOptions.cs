namespace Tollgate.FakeProviders;

/// <summary>
/// The behaviour of every fake request unless the request overrides it (headers <c>x-fake-*</c>, or
/// <c>fake:name=value</c> directives in the last user message). Bound from the <c>Fake:</c>
/// configuration section when run standalone. The values are read once at the start of each request,
/// so a test may change them between requests.
/// </summary>
public sealed class FakeOptions
{
    /// <summary>Milliseconds before the response status (and, streaming, the first chunk) is sent.</summary>
    public int LatencyMs { get; set; }

    /// <summary>Milliseconds before each streamed content chunk.</summary>
    public int ChunkDelayMs { get; set; }

    /// <summary>Content tokens in the answer; each is one streamed chunk (<c>"tok0 "</c>, <c>"tok1 "</c>...).</summary>
    public int Chunks { get; set; } = 5;

    /// <summary>When set (400 or above), answer with this status and an OpenAI-format error body.</summary>
    public int? Status { get; set; }

    /// <summary>
    /// When set, abort the connection after this many content chunks, with no finish chunk and no
    /// <c>[DONE]</c>: a mid-stream upstream failure. A non-streaming request is aborted before any byte.
    /// </summary>
    public int? CutAfterChunks { get; set; }

    /// <summary>Leave usage out: no <c>usage</c> in the JSON answer, no usage chunk in a stream.</summary>
    public bool OmitUsage { get; set; }

    /// <summary>Reported as <c>prompt_tokens_details.cached_tokens</c> (at most the prompt tokens).</summary>
    public int CachedTokens { get; set; }

    /// <summary>Reported as <c>completion_tokens_details.reasoning_tokens</c> and added to the completion tokens.</summary>
    public int ReasoningTokens { get; set; }

    /// <summary>When set, the only bearer token accepted; when null any bearer token is accepted.</summary>
    public string? RequireApiKey { get; set; }
}
