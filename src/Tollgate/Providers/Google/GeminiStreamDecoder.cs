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
internal sealed class GeminiStreamDecoder : ProviderStreamDecoder
{
    private bool _started;
    private int _calls;
    private bool _sawCall;

    /// <inheritdoc />
    protected override void OnEvent(JsonElement root, string? type, List<StreamEvent> output)
    {
        if (root.Has("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var status = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : StatusCodes.Status502BadGateway;
            Failure = GeminiFormat.ReadGoogleError(status, root) ?? StreamFailures.Unreadable;
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
                Open(BlockKind.Text, output);
                output.Add(new TextDelta(OpenBlock, text.Text));
                Produced(text.Text);
                break;
            case ThinkingPart thinking:
                Open(BlockKind.Thinking, output);
                output.Add(new ThinkingDelta(OpenBlock, thinking.Text, null));
                if (thinking.Signature is not null)
                {
                    output.Add(new ThinkingDelta(OpenBlock, null, thinking.Signature));
                }

                Produced(thinking.Text);
                break;
            case ToolCallPart call:
                Close(output);
                _sawCall = true;
                var index = NextBlock++;
                output.Add(new ToolCallStarted(index, call.CallId, call.Name));
                output.Add(new ToolArgumentsDelta(index, call.ArgumentsJson));
                output.Add(new BlockStopped(index));
                Produced(call.Name);
                Produced(call.ArgumentsJson);
                break;
            case ImagePart { Base64Data: { } data } image:
                // Not counted in ContentBytes: an image is charged as an image, never as text it is not.
                Close(output);
                output.Add(new ImageGenerated(NextBlock++, image.MediaType ?? "image/png", data));
                break;
        }
    }
}
