using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Streaming;
using Tollgate.Gateway.Translation;

namespace Tollgate.Providers.Google;

/// <summary>
/// Reads a Gemini stream (<c>streamGenerateContent?alt=sse</c>): each event's data is a whole
/// <c>GenerateContentResponse</c> carrying the next parts of the first candidate. Consecutive text (or
/// thought) parts extend one block; each <c>functionCall</c> arrives whole and is a block of its own.
/// An image (<c>inlineData</c>) arrives whole too and is one <see cref="ImageGenerated"/> block.
/// <c>usageMetadata</c> is cumulative, so the latest wins. The stream is complete at the chunk with a
/// <c>finishReason</c> (Gemini sends no end marker); a chunk with <c>promptFeedback.blockReason</c> is
/// a refusal, and an <c>error</c> object a failure.
/// </summary>
internal sealed class GeminiStreamDecoder : IStreamDecoder
{
    private enum Block
    {
        None,
        Text,
        Thinking,
    }

    private bool _started;
    private int _next;
    private int _open = -1;
    private Block _openKind;
    private int _calls;
    private bool _sawCall;

    /// <inheritdoc />
    public bool Completed { get; private set; }

    /// <inheritdoc />
    public TokenUsage? Usage { get; private set; }

    /// <inheritdoc />
    public long ContentBytes { get; private set; }

    /// <inheritdoc />
    public GatewayError? Failure { get; private set; }

    /// <inheritdoc />
    public long ImageOutputTokens { get; private set; }

    /// <inheritdoc />
    public void Decode(ReadOnlySpan<byte> sseEvent, List<StreamEvent> output)
    {
        try
        {
            DecodeEvent(sseEvent, output);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or TranslationException)
        {
            // An event of the wrong shape: what it carried is lost, so the stream cannot be relayed whole.
            Failure ??= StreamFailures.Unreadable;
        }
    }

    private void DecodeEvent(ReadOnlySpan<byte> sseEvent, List<StreamEvent> output)
    {
        var data = SseEvents.Data(sseEvent);
        if (data.IsEmpty || Completed)
        {
            return;
        }

        var reader = new Utf8JsonReader(data);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (root.Has("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var status = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : StatusCodes.Status502BadGateway;
            Failure = GeminiFormat.ReadGoogleError(status, data) ?? StreamFailures.Unreadable;
            return;
        }

        if (root.Has("usageMetadata", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            Usage = GeminiFormat.ReadUsage(usage);
            ImageOutputTokens = GeminiFormat.ImageTokens(usage);
        }

        if (GeminiFormat.BlockedPrompt(root) is { } blocked)
        {
            Failure = blocked;
            return;
        }

        if (!_started)
        {
            _started = true;
            output.Add(new StreamStarted(root.Str("responseId") ?? "gemini-0", null));
        }

        if (GeminiFormat.FirstCandidate(root) is not { } candidate)
        {
            return;
        }

        if (candidate.Has("content", out var content))
        {
            foreach (var part in content.Array("parts"))
            {
                ReadPart(part, output);
            }
        }

        if (candidate.Str("finishReason") is { } finish)
        {
            Close(output);
            output.Add(new StreamFinished(GeminiFormat.ReadFinishReason(finish, _sawCall), null, Usage));
            Completed = true;
        }
    }

    private void ReadPart(JsonElement part, List<StreamEvent> output)
    {
        switch (GeminiFormat.ReadPart(part, ref _calls))
        {
            case TextPart { Text.Length: > 0 } text:
                Open(Block.Text, output);
                output.Add(new TextDelta(_open, text.Text));
                ContentBytes += WireJson.Utf8Length(text.Text);
                break;
            case ThinkingPart thinking:
                Open(Block.Thinking, output);
                output.Add(new ThinkingDelta(_open, thinking.Text, null));
                if (thinking.Signature is not null)
                {
                    output.Add(new ThinkingDelta(_open, null, thinking.Signature));
                }

                ContentBytes += WireJson.Utf8Length(thinking.Text);
                break;
            case ToolCallPart call:
                Close(output);
                _sawCall = true;
                var index = _next++;
                output.Add(new ToolCallStarted(index, call.CallId, call.Name));
                output.Add(new ToolArgumentsDelta(index, call.ArgumentsJson));
                output.Add(new BlockStopped(index));
                ContentBytes += WireJson.Utf8Length(call.Name) + WireJson.Utf8Length(call.ArgumentsJson);
                break;
            case ImagePart { Base64Data: { } data } image:
                // Not counted in ContentBytes: an image is charged as an image, never as text it is not.
                Close(output);
                output.Add(new ImageGenerated(_next++, image.MediaType ?? "image/png", data));
                break;
        }
    }

    private void Open(Block kind, List<StreamEvent> output)
    {
        if (_openKind == kind && _open >= 0)
        {
            return;
        }

        Close(output);
        _open = _next++;
        _openKind = kind;
        output.Add(kind == Block.Text ? new TextStarted(_open) : new ThinkingStarted(_open));
    }

    private void Close(List<StreamEvent> output)
    {
        if (_open >= 0)
        {
            output.Add(new BlockStopped(_open));
            _open = -1;
            _openKind = Block.None;
        }
    }
}
