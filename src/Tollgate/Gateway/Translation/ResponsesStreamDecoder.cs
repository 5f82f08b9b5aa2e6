using System.Text.Json;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// Reads a Responses stream (typed events from <c>response.created</c> to <c>response.completed</c> or
/// <c>response.incomplete</c>) into internal events. Each <c>output_text</c> (or refusal) part, each
/// function call and each reasoning item is a block; a reasoning item's summaries are one thinking
/// block (parts joined by a blank line) whose signature carries the item id and encrypted content
/// (see <see cref="ReasoningMap"/>). The stop reason and usage come from the final response object.
/// </summary>
internal sealed class ResponsesStreamDecoder : ProviderStreamDecoder
{
    private sealed class Block
    {
        public int Output;
        public int Content;
        public int Index;
        public bool Open;
        public bool SawDelta;
    }

    private readonly List<Block> _blocks = [];
    private bool _refusal;
    private bool _sawCall;

    /// <inheritdoc />
    protected override void OnEvent(JsonElement root, string? type, List<StreamEvent> output)
    {
        var outputIndex = root.TryGetProperty("output_index", out var oi) && oi.ValueKind == JsonValueKind.Number ? oi.GetInt32() : -1;
        var contentIndex = root.TryGetProperty("content_index", out var ci) && ci.ValueKind == JsonValueKind.Number ? ci.GetInt32() : 0;
        switch (root.Str("type"))
        {
            case "response.created":
                output.Add(new StreamStarted(root.GetProperty("response").Str("id") ?? "resp_0", null));
                break;
            case "response.output_item.added":
                var item = root.GetProperty("item");
                switch (item.Str("type"))
                {
                    case "function_call":
                        var name = item.Str("name") ?? string.Empty;
                        _sawCall = true;
                        output.Add(new ToolCallStarted(Add(outputIndex, 0).Index, item.Str("call_id") ?? string.Empty, name));
                        Produced(name);
                        break;
                    case "reasoning":
                        output.Add(new ThinkingStarted(Add(outputIndex, 0).Index));
                        break;
                    default:
                        break; // a message's text blocks begin with their content parts
                }

                break;
            case "response.content_part.added":
                var part = root.GetProperty("part");
                if (part.Str("type") is "output_text" or "refusal")
                {
                    output.Add(new TextStarted(Add(outputIndex, contentIndex).Index));
                }

                break;
            case "response.output_text.delta":
            case "response.refusal.delta":
                if (Find(outputIndex, contentIndex) is { } text && root.Str("delta") is { Length: > 0 } delta)
                {
                    _refusal |= root.Str("type") == "response.refusal.delta";
                    output.Add(new TextDelta(text.Index, delta));
                    Produced(delta);
                }

                break;
            case "response.content_part.done":
                Stop(Find(outputIndex, contentIndex), output);
                break;
            case "response.reasoning_summary_part.added":
                if (Find(outputIndex, 0) is { SawDelta: true } summary)
                {
                    output.Add(new ThinkingDelta(summary.Index, "\n\n", null));
                }

                break;
            case "response.reasoning_summary_text.delta":
            case "response.reasoning_text.delta":
                if (Find(outputIndex, 0) is { } thinking && root.Str("delta") is { Length: > 0 } thought)
                {
                    thinking.SawDelta = true;
                    output.Add(new ThinkingDelta(thinking.Index, thought, null));
                    Produced(thought);
                }

                break;
            case "response.function_call_arguments.delta":
                if (Find(outputIndex, 0) is { } call && root.Str("delta") is { Length: > 0 } arguments)
                {
                    call.SawDelta = true;
                    output.Add(new ToolArgumentsDelta(call.Index, arguments));
                    Produced(arguments);
                }

                break;
            case "response.function_call_arguments.done":
                if (Find(outputIndex, 0) is { SawDelta: false } whole && root.Str("arguments") is { Length: > 0 } all)
                {
                    whole.SawDelta = true;
                    output.Add(new ToolArgumentsDelta(whole.Index, all));
                    Produced(all);
                }

                break;
            case "response.output_item.done":
                ItemDone(outputIndex, root.GetProperty("item"), output);
                break;
            case "response.completed":
            case "response.incomplete":
                var result = ResponsesFormat.ReadResponseObject(root.GetProperty("response"));
                Usage = result.Usage;
                foreach (var open in _blocks)
                {
                    Stop(open, output);
                }

                var reason = result.StopReason != StopReason.EndTurn ? result.StopReason
                    : _sawCall ? StopReason.ToolUse
                    : _refusal ? StopReason.ContentFilter
                    : StopReason.EndTurn;

                Completed = true;
                output.Add(new StreamFinished(reason, null, Usage));
                break;
            case "response.failed":
                var error = root.GetProperty("response").Has("error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
                Fail(error.ValueKind == JsonValueKind.Object ? error.Str("code") : null, error.ValueKind == JsonValueKind.Object ? error.Str("message") : null);
                break;
            case "error":
                Fail(root.Str("code"), root.Str("message"));
                break;
            default:
                break; // response.in_progress, the .done events whose content was already streamed, and others
        }
    }

    private void ItemDone(int outputIndex, JsonElement item, List<StreamEvent> output)
    {
        switch (item.Str("type"))
        {
            case "reasoning":
                if (Find(outputIndex, 0) is { } thinking)
                {
                    if (thinking.Open)
                    {
                        output.Add(new ThinkingDelta(thinking.Index, null, ReasoningMap.Pack(item.Str("id") ?? "rs_0", item.Str("encrypted_content"))));
                    }

                    Stop(thinking, output);
                }

                break;
            default:
                foreach (var block in _blocks)
                {
                    if (block.Output == outputIndex)
                    {
                        Stop(block, output);
                    }
                }

                break;
        }
    }

    private Block Add(int outputIndex, int contentIndex)
    {
        var block = new Block { Output = outputIndex, Content = contentIndex, Index = _blocks.Count, Open = true };
        _blocks.Add(block);
        return block;
    }

    private Block? Find(int outputIndex, int contentIndex)
    {
        for (var i = _blocks.Count - 1; i >= 0; i--)
        {
            if (_blocks[i].Output == outputIndex && _blocks[i].Content == contentIndex)
            {
                return _blocks[i];
            }
        }

        return null;
    }

    private static void Stop(Block? block, List<StreamEvent> output)
    {
        if (block is { Open: true })
        {
            block.Open = false;
            output.Add(new BlockStopped(block.Index));
        }
    }
}
