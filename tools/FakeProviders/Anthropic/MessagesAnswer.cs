using System.Text;

namespace Tollgate.FakeProviders.Anthropic;

/// <summary>
/// The whole answer to one Messages request, decided before a byte is written so that the JSON answer and
/// the stream say the same thing. Blocks in order: thinking (when enabled), then the tool call or the text.
/// </summary>
internal sealed class MessagesAnswer
{
    /// <summary>Thinking deltas when thinking is on and the <c>reasoning_tokens</c> knob is 0.</summary>
    public const int DefaultThinkingTokens = 3;

    /// <summary>Tool-input characters per <c>input_json_delta</c>.</summary>
    public const int ToolInputPieceLength = 8;

    public MessagesAnswer(string id, MessagesRequest request, in FakeKnobs knobs)
    {
        Id = id;
        Model = request.Model;
        ThinkingTokens = request.Thinking ? (knobs.ReasoningTokens > 0 ? knobs.ReasoningTokens : DefaultThinkingTokens) : 0;
        if (request.ToolName is { } tool)
        {
            ToolId = "toolu_" + id["msg_".Length..];
            ToolName = tool;
            ToolInput = request.ToolInput ?? "{}";
            ToolTokens = FakeExchange.TokensOfBytes(Encoding.UTF8.GetByteCount(ToolInput));
            StopReason = "tool_use";
        }
        else
        {
            TextTokens = Math.Max(0, knobs.Chunks);
            StopReason = "end_turn";
            if (TextTokens > request.MaxTokens)
            {
                TextTokens = request.MaxTokens;
                StopReason = "max_tokens";
            }
        }

        // Invariant: input + cache read + cache write = the prompt tokens, as Anthropic reports them.
        CacheReadTokens = Math.Clamp(knobs.CachedTokens, 0, request.PromptTokens);
        CacheWriteTokens = Math.Clamp(knobs.CacheWriteTokens, 0, request.PromptTokens - CacheReadTokens);
        InputTokens = request.PromptTokens - CacheReadTokens - CacheWriteTokens;
        OutputTokens = ThinkingTokens + TextTokens + ToolTokens;
        Signature = Convert.ToBase64String(Encoding.UTF8.GetBytes("fake-signature:" + id));
    }

    public string Id { get; }

    public string Model { get; }

    public int ThinkingTokens { get; }

    public int TextTokens { get; }

    public string? ToolId { get; }

    public string? ToolName { get; }

    public string? ToolInput { get; }

    public int ToolTokens { get; }

    public string StopReason { get; }

    public int InputTokens { get; }

    public int CacheReadTokens { get; }

    public int CacheWriteTokens { get; }

    public int OutputTokens { get; }

    /// <summary>The thinking block's signature: opaque, deterministic per message.</summary>
    public string Signature { get; }

    public bool HasThinking => ThinkingTokens > 0;
}
