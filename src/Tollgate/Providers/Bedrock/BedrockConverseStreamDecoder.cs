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
internal sealed class BedrockConverseStreamDecoder : IStreamDecoder
{
    private readonly Dictionary<int, BlockKind> _blocks = [];
    private TokenUsage? _usage;
    private string? _stopReason;

    private enum BlockKind
    {
        Text,
        Thinking,
        Tool,
        Skipped,
    }

    /// <inheritdoc />
    public bool Completed { get; private set; }

    /// <inheritdoc />
    public TokenUsage? Usage => _usage;

    /// <inheritdoc />
    public long ContentBytes { get; private set; }

    /// <inheritdoc />
    public GatewayError? Failure { get; private set; }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<byte> sseEvent, List<StreamEvent> output)
    {
        if (Completed || Failure is not null)
        {
            return;
        }

        if (!EventStreamMessage.TryRead(sseEvent, out var message))
        {
            Failure = StreamFailures.Unreadable;
            return;
        }

        switch (message.StringHeader(":message-type"u8))
        {
            case "event":
                try
                {
                    DecodeEvent(message.StringHeader(":event-type"u8), message.Payload, output);
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or TranslationException)
                {
                    Failure = StreamFailures.Unreadable;
                }

                break;
            case "exception":
                Failure = BedrockErrors.FromException(message.StringHeader(":exception-type"u8), BedrockErrors.MessageOf(message.Payload), midStream: true);
                break;
            case "error":
                Failure = GatewayError.Upstream(StatusCodes.Status502BadGateway, message.StringHeader(":error-code"u8) ?? "upstream_error",
                    message.StringHeader(":error-message"u8) ?? "The provider's event stream failed.");
                break;
            default:
                break; // a message type added after this was written
        }
    }

    private void DecodeEvent(string? type, ReadOnlySpan<byte> payload, List<StreamEvent> output)
    {
        var reader = new Utf8JsonReader(payload);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
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
                    _blocks[index] = BlockKind.Tool;
                    output.Add(new ToolCallStarted(index, toolUse.Str("toolUseId") ?? string.Empty, name));
                    ContentBytes += WireJson.Utf8Length(name);
                }
                else
                {
                    _blocks[index] = BlockKind.Skipped;
                }

                break;
            case "contentBlockDelta" when root.Has("delta", out var delta):
                ReadDelta(index, delta, output);
                break;
            case "contentBlockStop":
                if (_blocks.TryGetValue(index, out var kind) && kind != BlockKind.Skipped)
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
                    _usage = BedrockConverseFormat.ReadUsage(usage);
                }

                Completed = true;
                output.Add(new StreamFinished(BedrockConverseFormat.ReadStopReason(_stopReason), null, _usage));
                break;
            default:
                break;
        }
    }

    private void ReadDelta(int index, JsonElement delta, List<StreamEvent> output)
    {
        if (delta.Str("text") is { } text)
        {
            if (Open(index, BlockKind.Text, output))
            {
                output.Add(new TextDelta(index, text));
                ContentBytes += WireJson.Utf8Length(text);
            }
        }
        else if (delta.Has("toolUse", out var toolUse))
        {
            if (_blocks.GetValueOrDefault(index, BlockKind.Skipped) == BlockKind.Tool && toolUse.Str("input") is { Length: > 0 } json)
            {
                output.Add(new ToolArgumentsDelta(index, json));
                ContentBytes += WireJson.Utf8Length(json);
            }
        }
        else if (delta.Has("reasoningContent", out var reasoning) && Open(index, BlockKind.Thinking, output))
        {
            if (reasoning.Str("text") is { } thinking)
            {
                output.Add(new ThinkingDelta(index, thinking, null));
                ContentBytes += WireJson.Utf8Length(thinking);
            }
            else if (reasoning.Str("signature") is { } signature)
            {
                output.Add(new ThinkingDelta(index, null, signature));
            }
        }
    }

    // Text and reasoning blocks have no start event: the first delta of an index opens it.
    private bool Open(int index, BlockKind kind, List<StreamEvent> output)
    {
        if (_blocks.TryGetValue(index, out var known))
        {
            return known == kind;
        }

        _blocks[index] = kind;
        output.Add(kind == BlockKind.Text ? new TextStarted(index) : new ThinkingStarted(index));
        return true;
    }
}
