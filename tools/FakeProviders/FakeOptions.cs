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

    /// <summary>Text tokens in the answer; each is one streamed delta (<c>"tok0 "</c>, <c>"tok1 "</c>...).</summary>
    public int Chunks { get; set; } = 5;

    /// <summary>When set (400 or above), answer with this status and an error body in the endpoint's format.</summary>
    public int? Status { get; set; }

    /// <summary>
    /// When set, abort the connection after this many content chunks (text, thinking or tool-argument deltas),
    /// with nothing after them (no finish chunk, <c>[DONE]</c>, <c>message_stop</c> or
    /// <c>response.completed</c>): a mid-stream upstream failure. A non-streaming request is aborted before any byte.
    /// </summary>
    public int? CutAfterChunks { get; set; }

    /// <summary>
    /// Leave usage out: no <c>usage</c> in the JSON answer, no usage chunk in a chat stream, no <c>usage</c> in
    /// Anthropic's <c>message_start</c> and <c>message_delta</c>, <c>"usage": null</c> in a Responses answer.
    /// </summary>
    public bool OmitUsage { get; set; }

    /// <summary>
    /// Cached prompt tokens (at most the prompt tokens): chat <c>prompt_tokens_details.cached_tokens</c>,
    /// Responses <c>input_tokens_details.cached_tokens</c>, Anthropic <c>cache_read_input_tokens</c>.
    /// </summary>
    public int CachedTokens { get; set; }

    /// <summary>
    /// Chat and Responses: reasoning tokens, added to the output tokens. Anthropic: the number of thinking
    /// deltas when the request enables thinking (3 when this is 0), added to the output tokens.
    /// </summary>
    public int ReasoningTokens { get; set; }

    /// <summary>
    /// Anthropic: reported as <c>cache_creation_input_tokens</c> (at most the prompt tokens left after the
    /// cache reads). OpenAI endpoints do not report cache writes.
    /// </summary>
    public int CacheWriteTokens { get; set; }

    /// <summary>
    /// When set, a streamed answer fails after this many content deltas with the provider's own mid-stream
    /// error: Anthropic <c>event: error</c>, Responses <c>response.failed</c> (or the <c>error</c> event, see
    /// <see cref="ErrorEvent"/>). The stream then ends normally at the HTTP level. A non-streaming request
    /// answers with the matching error status instead. Chat Completions ignores it.
    /// </summary>
    public int? ErrorAfterChunks { get; set; }

    /// <summary>
    /// The error of <see cref="ErrorAfterChunks"/>: the Anthropic error type (default <c>overloaded_error</c>)
    /// or the Responses error code (default <c>server_error</c>).
    /// </summary>
    public string? ErrorType { get; set; }

    /// <summary>Responses only: <c>error</c> sends the bare <c>error</c> event instead of <c>response.failed</c>.</summary>
    public string? ErrorEvent { get; set; }

    /// <summary>
    /// Anthropic and Responses: answer with a call of the first tool (or the one <c>tool_choice</c> names) when
    /// the request has tools, even if <c>tool_choice</c> leaves the choice to the model.
    /// </summary>
    public bool ToolCall { get; set; }

    /// <summary>
    /// Anthropic and Responses: call the tool of this name when the request offers it (as <see cref="ToolCall"/>
    /// does, but choosing the tool), unless <c>tool_choice</c> names another.
    /// </summary>
    public string? ToolName { get; set; }

    /// <summary>
    /// When set, the only key accepted (a bearer token, or Anthropic's <c>x-api-key</c>); when null any
    /// non-empty key is accepted.
    /// </summary>
    public string? RequireApiKey { get; set; }

    /// <summary>The AWS access key id the Bedrock fake accepts.</summary>
    public string BedrockAccessKeyId { get; set; } = "AKIDFAKEBEDROCK";

    /// <summary>The AWS secret the Bedrock fake verifies SigV4 signatures with.</summary>
    public string BedrockSecretAccessKey { get; set; } = "fake-bedrock-secret/EXAMPLEKEY";

    /// <summary>The temporary (AWS STS) access key id the Bedrock fake accepts, with <see cref="BedrockSessionToken"/>.</summary>
    public string BedrockSessionAccessKeyId { get; set; } = "ASIAFAKEBEDROCKTEMP";

    /// <summary>The secret of <see cref="BedrockSessionAccessKeyId"/>.</summary>
    public string BedrockSessionSecretAccessKey { get; set; } = "fake-bedrock-temporary-secret/EXAMPLEKEY";

    /// <summary>The session token that must come, signed, with <see cref="BedrockSessionAccessKeyId"/>.</summary>
    public string BedrockSessionToken { get; set; } = "IQoJb3JpZ2luX2VjEFAKE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDfakeSessionToken+/=";

    /// <summary>The credential the Bedrock fake knows for an access key id, or null for an unknown one.</summary>
    internal Bedrock.FakeAwsCredential? BedrockCredential(string accessKeyId) =>
        accessKeyId == BedrockAccessKeyId ? new(BedrockSecretAccessKey, null)
        : accessKeyId == BedrockSessionAccessKeyId ? new(BedrockSessionSecretAccessKey, BedrockSessionToken)
        : null;

    /// <summary>Gemini: answer with <c>promptFeedback.blockReason</c> set to this (e.g. <c>SAFETY</c>) and no candidates.</summary>
    public string? SafetyBlock { get; set; }

    /// <summary>Gemini: the candidate's <c>finishReason</c> (e.g. <c>SAFETY</c>, <c>RECITATION</c>) instead of <c>STOP</c> / <c>MAX_TOKENS</c>.</summary>
    public string? FinishReason { get; set; }

    /// <summary>
    /// Vertex: service accounts the token endpoint knows, client email → public key (PEM), against which it
    /// verifies a JWT grant's RS256 signature.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, string> GoogleServiceAccounts { get; } = new(StringComparer.Ordinal);

    /// <summary>Vertex: seconds an issued access token lives (<c>expires_in</c>).</summary>
    public int GoogleTokenLifetimeSeconds { get; set; } = 3599;
}
