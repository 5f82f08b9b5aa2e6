using System.Text.Json;
using Tollgate.Catalog;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// The one internal form of a chat-shaped request that every client format (Chat Completions,
/// Messages, Responses) reads into and every provider format writes from, so a new format adds one
/// translator rather than one per pair. It holds only what some format can express and the gateway
/// knows how to carry; a request using anything else is refused by the reader that meets it (a
/// feature is never silently dropped).
/// </summary>
internal sealed class ChatTurn
{
    /// <summary>The model name as the client wrote it.</summary>
    public required string Model { get; init; }

    /// <summary>System instructions, in order (OpenAI system/developer messages, Anthropic <c>system</c>, Responses <c>instructions</c>).</summary>
    public List<ContentPart> System { get; init; } = [];

    /// <summary>The conversation, oldest first.</summary>
    public List<ChatMessage> Messages { get; init; } = [];

    /// <summary>Tools the model may call.</summary>
    public List<ToolDefinition> Tools { get; init; } = [];

    /// <summary>How the model may use the tools; null leaves it to the provider's default (auto).</summary>
    public ToolChoice? ToolChoice { get; init; }

    /// <summary>
    /// Whether the model may call several tools in one turn (OpenAI <c>parallel_tool_calls</c>, Anthropic
    /// <c>tool_choice.disable_parallel_tool_use</c> inverted); null leaves it to the provider (allowed).
    /// </summary>
    public bool? ParallelToolCalls { get; init; }

    /// <summary>The output limit the client set.</summary>
    public long? MaxOutputTokens { get; set; }

    /// <summary>Sampling temperature.</summary>
    public double? Temperature { get; init; }

    /// <summary>Nucleus sampling.</summary>
    public double? TopP { get; init; }

    /// <summary>Stop sequences.</summary>
    public List<string> Stop { get; init; } = [];

    /// <summary>The client asked for a stream.</summary>
    public bool Stream { get; init; }

    /// <summary>A Chat Completions client asked for the usage chunk (<c>stream_options.include_usage</c>).</summary>
    public bool IncludeUsage { get; init; }

    /// <summary>Extended thinking / reasoning, when asked for.</summary>
    public Reasoning? Reasoning { get; init; }
}

/// <summary>Who said a message.</summary>
internal enum ChatRole
{
    /// <summary>The person or program asking.</summary>
    User,

    /// <summary>The model (earlier turns), with its text, thinking and tool calls.</summary>
    Assistant,

    /// <summary>Results of tool calls (a <c>tool</c> message in Chat Completions, <c>tool_result</c> blocks in Messages).</summary>
    Tool,
}

/// <summary>One message of the conversation.</summary>
internal sealed record ChatMessage(ChatRole Role, List<ContentPart> Parts);

/// <summary>A piece of a message.</summary>
internal abstract record ContentPart;

/// <summary>Text.</summary>
internal sealed record TextPart(string Text) : ContentPart;

/// <summary>An image given inline (base64, with its media type) or by URL.</summary>
internal sealed record ImagePart(string? MediaType, string? Base64Data, string? Url) : ContentPart;

/// <summary>A call the model made to a tool.</summary>
/// <param name="CallId">The call's id, which its result names.</param>
/// <param name="Name">The tool's name.</param>
/// <param name="ArgumentsJson">The arguments as a JSON object text.</param>
internal sealed record ToolCallPart(string CallId, string Name, string ArgumentsJson) : ContentPart;

/// <summary>The result of a tool call.</summary>
/// <param name="CallId">The call it answers.</param>
/// <param name="Content">What the tool returned (text and images).</param>
/// <param name="IsError">The tool failed.</param>
internal sealed record ToolResultPart(string CallId, List<ContentPart> Content, bool IsError) : ContentPart;

/// <summary>The model's visible reasoning, with the provider's signature that lets it be sent back.</summary>
internal sealed record ThinkingPart(string Text, string? Signature) : ContentPart;

/// <summary>A tool the model may call.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Description">What it does, for the model.</param>
/// <param name="ParametersSchema">The JSON schema of its arguments (an object schema).</param>
internal sealed record ToolDefinition(string Name, string? Description, JsonElement ParametersSchema);

/// <summary>How the model may use tools.</summary>
internal enum ToolChoiceKind
{
    /// <summary>The model decides.</summary>
    Auto,

    /// <summary>No tool calls.</summary>
    None,

    /// <summary>At least one tool call (OpenAI <c>required</c>, Anthropic <c>any</c>).</summary>
    Required,

    /// <summary>This one tool.</summary>
    Tool,
}

/// <summary>A tool choice; <paramref name="Name"/> for <see cref="ToolChoiceKind.Tool"/>.</summary>
internal sealed record ToolChoice(ToolChoiceKind Kind, string? Name = null);

/// <summary>
/// Reasoning asked for: an effort level (OpenAI <c>reasoning_effort</c> / <c>reasoning.effort</c>:
/// <c>low</c>, <c>medium</c>, <c>high</c>) or a token budget (Anthropic <c>thinking.budget_tokens</c>);
/// translators convert one to the other where the target has only the other.
/// </summary>
internal sealed record Reasoning(string? Effort, long? BudgetTokens);

/// <summary>Why the model stopped.</summary>
internal enum StopReason
{
    /// <summary>A natural end (<c>stop</c> / <c>end_turn</c> / <c>completed</c>).</summary>
    EndTurn,

    /// <summary>The output limit (<c>length</c> / <c>max_tokens</c> / <c>incomplete: max_output_tokens</c>).</summary>
    MaxTokens,

    /// <summary>A stop sequence (<c>stop</c> / <c>stop_sequence</c>).</summary>
    StopSequence,

    /// <summary>The model called tools (<c>tool_calls</c> / <c>tool_use</c>).</summary>
    ToolUse,

    /// <summary>Content was filtered or refused (<c>content_filter</c> / <c>refusal</c>).</summary>
    ContentFilter,
}

/// <summary>A complete (non-streamed) answer in the internal form.</summary>
internal sealed class ChatResult
{
    /// <summary>The provider's id of the answer.</summary>
    public required string Id { get; init; }

    /// <summary>What the model produced, in order: text, thinking, tool calls, and images (<see cref="ImagePart"/> with base64 data) from a model that answers with images.</summary>
    public List<ContentPart> Output { get; init; } = [];

    /// <summary>How many of the usage's output tokens the provider counted for the images in <see cref="Output"/> (0 when it made none or does not say).</summary>
    public long ImageOutputTokens { get; init; }

    /// <summary>Why it stopped.</summary>
    public StopReason StopReason { get; init; }

    /// <summary>The stop sequence that ended it, when one did.</summary>
    public string? StopSequence { get; init; }

    /// <summary>The provider's usage.</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>Set when the provider answered without an answer (a prompt it blocked): the error the client gets instead.</summary>
    public Errors.GatewayError? Failure { get; init; }
}

/// <summary>One step of a streamed answer in the internal form. Blocks are numbered from 0 in output order.</summary>
internal abstract record StreamEvent;

/// <summary>The answer began.</summary>
internal sealed record StreamStarted(string Id, TokenUsage? Usage) : StreamEvent;

/// <summary>A text block began at <paramref name="Index"/>.</summary>
internal sealed record TextStarted(int Index) : StreamEvent;

/// <summary>More text of block <paramref name="Index"/>.</summary>
internal sealed record TextDelta(int Index, string Text) : StreamEvent;

/// <summary>A thinking block began.</summary>
internal sealed record ThinkingStarted(int Index) : StreamEvent;

/// <summary>More thinking text, or its signature, of block <paramref name="Index"/>.</summary>
internal sealed record ThinkingDelta(int Index, string? Text, string? Signature) : StreamEvent;

/// <summary>A tool call began at <paramref name="Index"/>.</summary>
internal sealed record ToolCallStarted(int Index, string CallId, string Name) : StreamEvent;

/// <summary>More of a tool call's arguments (a fragment of JSON text).</summary>
internal sealed record ToolArgumentsDelta(int Index, string Json) : StreamEvent;

/// <summary>
/// A whole image the model made, as block <paramref name="Index"/>: providers send each image complete in
/// one event, so it has no start, delta or stop events of its own.
/// </summary>
internal sealed record ImageGenerated(int Index, string MediaType, string Base64Data) : StreamEvent;

/// <summary>Block <paramref name="Index"/> is complete.</summary>
internal sealed record BlockStopped(int Index) : StreamEvent;

/// <summary>The model stopped; <paramref name="Usage"/> is the whole answer's usage when the provider gave it.</summary>
internal sealed record StreamFinished(StopReason Reason, string? StopSequence, TokenUsage? Usage) : StreamEvent;
