using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Gateway;

/// <summary>A validated Chat Completions request, kept as JSON so unknown fields pass through untouched.</summary>
internal sealed class ChatRequest
{
    private ChatRequest(JsonObject body, string model, bool stream, bool clientWantsUsage, long? maxOutputTokens)
    {
        Body = body;
        Model = model;
        Stream = stream;
        ClientWantsUsage = clientWantsUsage;
        MaxOutputTokens = maxOutputTokens;
    }

    /// <summary>The request as received.</summary>
    public JsonObject Body { get; }

    /// <summary>The requested model name.</summary>
    public string Model { get; }

    /// <summary><c>"stream": true</c>.</summary>
    public bool Stream { get; }

    /// <summary>The client asked for the usage chunk (<c>stream_options.include_usage</c>).</summary>
    public bool ClientWantsUsage { get; }

    /// <summary><c>max_completion_tokens</c> or <c>max_tokens</c>, when given.</summary>
    public long? MaxOutputTokens { get; }

    /// <summary>Validates the fields the gateway relies on; everything else is the provider's to judge.</summary>
    public static (ChatRequest? Request, GatewayError? Error) From(JsonObject body)
    {
        if (body["model"] is not JsonValue modelValue || !modelValue.TryGetValue<string>(out var model) || string.IsNullOrWhiteSpace(model))
        {
            return (null, GatewayError.BadRequest("missing_required_parameter", "The 'model' field is required and must be a non-empty string.", "model"));
        }

        if (body["messages"] is not JsonArray { Count: > 0 })
        {
            return (null, GatewayError.BadRequest("missing_required_parameter", "The 'messages' field is required and must be a non-empty array.", "messages"));
        }

        var stream = false;
        if (body["stream"] is { } streamNode)
        {
            if (streamNode.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            {
                return (null, GatewayError.BadRequest("invalid_type", "The 'stream' field must be a boolean.", "stream"));
            }

            stream = streamNode.GetValueKind() == JsonValueKind.True;
        }

        var wantsUsage = stream && body["stream_options"] is JsonObject so && so["include_usage"]?.GetValueKind() == JsonValueKind.True;

        long? maxOutput = null;
        foreach (var field in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (body[field] is not { } node || node.GetValueKind() == JsonValueKind.Null)
            {
                continue;
            }

            if (node is not JsonValue value || !value.TryGetValue<long>(out var n) || n <= 0)
            {
                return (null, GatewayError.BadRequest("invalid_value", $"The '{field}' field must be a positive integer.", field));
            }

            maxOutput = maxOutput is null ? n : Math.Min(maxOutput.Value, n);
        }

        return (new ChatRequest(body, model, stream, wantsUsage, maxOutput), null);
    }

    /// <summary>
    /// The body to send upstream: the provider's model id, the usage chunk requested on streams (the
    /// gateway reads it and drops it again if the client did not ask), and a clamped output limit.
    /// </summary>
    public byte[] ToUpstreamBody(string providerModelId, string provider, long? clampedMaxOutputTokens)
    {
        Body["model"] = providerModelId;
        if (Stream)
        {
            var options = Body["stream_options"] as JsonObject ?? new JsonObject();
            options["include_usage"] = true;
            Body["stream_options"] = options;
        }

        if (clampedMaxOutputTokens is { } clamp)
        {
            var field = Body.ContainsKey("max_completion_tokens") || (provider == "openai" && !Body.ContainsKey("max_tokens"))
                ? "max_completion_tokens"
                : "max_tokens";
            Body.Remove(field == "max_tokens" ? "max_completion_tokens" : "max_tokens");
            Body[field] = clamp;
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Body.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
