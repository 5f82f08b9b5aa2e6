using System.Text;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>
/// The whole answer to one Responses request, decided before a byte is written so that the JSON answer,
/// the stream and the stored copy say the same thing. Output items in order: a <c>reasoning</c> item (when
/// reasoning is requested), then a <c>function_call</c> or a <c>message</c>.
/// </summary>
internal sealed class ResponsesAnswer
{
    /// <summary>Argument characters per <c>response.function_call_arguments.delta</c>.</summary>
    public const int ArgumentPieceLength = 8;

    public ResponsesAnswer(string id, long createdAt, ResponsesRequest request, in FakeKnobs knobs)
    {
        var suffix = id["resp_".Length..];
        Id = id;
        CreatedAt = createdAt;
        Request = request;
        ReasoningId = request.Reasoning ? "rs_" + suffix : null;
        ReasoningTokens = Math.Max(0, knobs.ReasoningTokens);
        if (request.ToolName is { } name)
        {
            ItemId = "fc_" + suffix;
            CallId = "call_" + suffix;
            ToolName = name;
            Arguments = request.ToolArguments ?? "{}";
            ToolTokens = FakeExchange.TokensOfBytes(Encoding.UTF8.GetByteCount(Arguments));
        }
        else
        {
            ItemId = "msg_" + suffix;
            TextTokens = Math.Max(0, knobs.Chunks);
            if (request.MaxOutputTokens is { } max && TextTokens > max)
            {
                TextTokens = max;
                Incomplete = true;
            }
        }

        // Invariant: cached tokens are part of the input tokens, as OpenAI reports them.
        InputTokens = request.PromptTokens;
        CachedTokens = Math.Clamp(knobs.CachedTokens, 0, InputTokens);
        OutputTokens = TextTokens + ToolTokens + ReasoningTokens;
    }

    public string Id { get; }

    public long CreatedAt { get; }

    public ResponsesRequest Request { get; }

    /// <summary>The reasoning item's id, when there is one.</summary>
    public string? ReasoningId { get; }

    /// <summary>The id of the message or function_call item.</summary>
    public string ItemId { get; }

    public string? CallId { get; }

    public string? ToolName { get; }

    public string? Arguments { get; }

    public int TextTokens { get; }

    /// <summary>Whether <c>max_output_tokens</c> cut the text: status <c>incomplete</c>.</summary>
    public bool Incomplete { get; }

    public int ToolTokens { get; }

    public int ReasoningTokens { get; }

    public int InputTokens { get; }

    public int CachedTokens { get; }

    public int OutputTokens { get; }

    public string Text => FakeExchange.Tokens("tok", TextTokens);
}
