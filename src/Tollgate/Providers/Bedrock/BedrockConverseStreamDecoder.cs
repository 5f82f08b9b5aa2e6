using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Translation;

namespace Tollgate.Providers.Bedrock;

/// <summary>
/// Reads a ConverseStream answer, one event-stream message at a time, into internal events:
/// <c>messageStart</c>; per block an optional <c>contentBlockStart</c> (tool calls only: text and
/// reasoning blocks begin with their first delta), <c>contentBlockDelta</c> (<c>text</c>,
/// <c>toolUse.input</c>, <c>reasoningContent.text</c> / <c>.signature</c>), <c>contentBlockStop</c>;
/// <c>messageStop</c> (the stop reason); then <c>metadata</c> (usage), which ends the stream.
/// Exception messages (<c>:message-type exception</c>, named by <c>:exception-type</c>) and error
/// messages (including the reader's own for a corrupt frame) are the stream's failure.
/// </summary>
internal sealed class BedrockConverseStreamDecoder : ProviderStreamDecoder
{
    private readonly Dictionary<int, Kind> _blocks = [];
    private string? _stopReason;

    private enum Kind
    {
        Text,
        Thinking,
        Tool,
        Skipped,
    }

    /// <inheritdoc />
    protected override void DecodeFrame(ReadOnlySpan<byte> frame, List<StreamEvent> output)
    {
        if (Completed || Failure is not null)
        {
            return;
        }

        if (!EventStreamMessage.TryRead(frame, out var message))
        {
            Failure = StreamFailures.Unreadable;
            return;
        }

        switch (message.StringHeader(":message-type"u8))
        {
            case "event":
                DecodeJson(message.Payload, message.StringHeader(":event-type"u8), output);
                break;
            case "exception":
                Failure = BedrockErrors.FromException(message.StringHeader(":exception-type"u8), BedrockErrors.MessageOf(message.Payload), midStream: true);
                break;
            case "error":
                Fail(message.StringHeader(":error-code"u8), message.StringHeader(":error-message"u8) ?? "The provider's event stream failed.");
                break;
            default:
                break; // a message type added after this was written
        }
    }

    /// <inheritdoc />
    protected override void OnNotAnObject() => Failure = StreamFailures.Unreadable; // an event payload is always an object

    /// <inheritdoc />
    protected override void OnEvent(JsonElement root, string? type, List<StreamEvent> output)
    {
        var index = root.TryGetProperty("contentBlockIndex", out var i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : -1;
        switch (type)
        {
            case "messageStart":
                output.Add(new StreamStarted(BedrockConverseFormat.NewId(), null));
                break;
            case "contentBlockStart":
                if (root.Has("start", out var start) && start.Has("toolUse", out var toolUse))
                {
                    var name = toolUse.Str("name") ?? string.Empty;
                    _blocks[index] = Kind.Tool;
                    output.Add(new ToolCallStarted(index, toolUse.Str("toolUseId") ?? string.Empty, name));
                    Produced(name);
                }
                else
                {
                    _blocks[index] = Kind.Skipped;
                }

                break;
            case "contentBlockDelta" when root.Has("delta", out var delta):
                ReadDelta(index, delta, output);
                break;
            case "contentBlockStop":
                if (_blocks.TryGetValue(index, out var kind) && kind != Kind.Skipped)
                {
                    output.Add(new BlockStopped(index));
                }

                break;
            case "messageStop":
                _stopReason = root.Str("stopReason");
                break;
            case "metadata":
                if (root.Has("usage", out var usage))
                {
                    Usage = BedrockConverseFormat.ReadUsage(usage);
                }

                Completed = true;
                output.Add(new StreamFinished(BedrockConverseFormat.ReadStopReason(_stopReason), null, Usage));
                break;
            default:
                break;
        }
    }

    private void ReadDelta(int index, JsonElement delta, List<StreamEvent> output)
    {
        if (delta.Str("text") is { } text)
        {
            if (OpenAt(index, Kind.Text, output))
            {
                output.Add(new TextDelta(index, text));
                Produced(text);
            }
        }
        else if (delta.Has("toolUse", out var toolUse))
        {
            if (_blocks.GetValueOrDefault(index, Kind.Skipped) == Kind.Tool && toolUse.Str("input") is { Length: > 0 } json)
            {
                output.Add(new ToolArgumentsDelta(index, json));
                Produced(json);
            }
        }
        else if (delta.Has("reasoningContent", out var reasoning) && OpenAt(index, Kind.Thinking, output))
        {
            if (reasoning.Str("text") is { } thinking)
            {
                output.Add(new ThinkingDelta(index, thinking, null));
                Produced(thinking);
            }
            else if (reasoning.Str("signature") is { } signature)
            {
                output.Add(new ThinkingDelta(index, null, signature));
            }
        }
    }

    // Text and reasoning blocks have no start event: the first delta of an index opens it.
    private bool OpenAt(int index, Kind kind, List<StreamEvent> output)
    {
        if (_blocks.TryGetValue(index, out var known))
        {
            return known == kind;
        }

        _blocks[index] = kind;
        output.Add(kind == Kind.Text ? new TextStarted(index) : new ThinkingStarted(index));
        return true;
    }
}
