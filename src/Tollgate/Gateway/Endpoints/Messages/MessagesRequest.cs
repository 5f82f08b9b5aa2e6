using System.Globalization;
using System.Text;
using System.Text.Json;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;

namespace Tollgate.Gateway.Endpoints.Messages;

/// <summary>
/// A validated Anthropic Messages request, kept as the client's bytes: one forward pass notes where
/// <c>model</c> and <c>max_tokens</c> sit, so the body sent to Anthropic is the client's with the
/// provider's model id (and a clamped limit) spliced in. A field the gateway reads may appear once.
/// </summary>
internal sealed class MessagesRequest : IGatewayRequest
{
    private readonly (int Start, int End) _modelValue;
    private readonly (int Start, int End) _maxTokensValue;

    private MessagesRequest(byte[] raw, string model, bool stream, long maxTokens, (int, int) modelValue, (int, int) maxTokensValue)
    {
        Raw = raw;
        ModelName = model;
        Stream = stream;
        MaxOutputTokens = maxTokens;
        _modelValue = modelValue;
        _maxTokensValue = maxTokensValue;
    }

    private (Translation.ChatTurn?, GatewayError?)? _turn;

    /// <summary>The request in the internal form, read once when a provider needs it translated.</summary>
    public (Translation.ChatTurn? Turn, GatewayError? Error) Turn(Translation.IChatWireFormat format) => _turn ??= format.ReadRequest(Raw);

    /// <summary>The client's bytes.</summary>
    public byte[] Raw { get; }

    /// <summary>The client's <c>anthropic-version</c> header, passed to Anthropic.</summary>
    public string? Version { get; set; }

    /// <summary>The client's <c>anthropic-beta</c> header, passed to Anthropic.</summary>
    public string? Beta { get; set; }

    /// <inheritdoc />
    public string ModelName { get; }

    /// <inheritdoc />
    public bool Stream { get; }

    /// <inheritdoc />
    public long? MaxOutputTokens { get; }

    /// <inheritdoc />
    public string MaxOutputField => "max_tokens";

    /// <inheritdoc />
    public int Answers => 1;

    /// <summary>Validates what the gateway relies on: an object with a model, a non-empty messages array, a positive max_tokens, a boolean stream.</summary>
    public static (MessagesRequest? Request, GatewayError? Error) From(byte[] raw)
    {
        try
        {
            return Scan(raw);
        }
        catch (JsonException)
        {
            var (_, parseError) = RequestBodyReader.ParseObject(raw);
            return (null, parseError ?? GatewayError.BadRequest("invalid_json", "The request body is not valid JSON."));
        }
        catch (InvalidOperationException)
        {
            return (null, GatewayError.BadRequest("invalid_json", "The request body is not valid UTF-8 JSON."));
        }
    }

    /// <summary>The body for Anthropic: the client's bytes with the provider's model id and, when clamped, the new limit.</summary>
    public byte[] ToUpstreamBody(string providerModelId, long? clampedMaxTokens)
    {
        var model = JsonSerializer.SerializeToUtf8Bytes(providerModelId);
        var edits = new List<(int Start, int End, byte[] Bytes)> { (_modelValue.Start, _modelValue.End, model) };
        if (clampedMaxTokens is { } clamp)
        {
            edits.Add((_maxTokensValue.Start, _maxTokensValue.End, Encoding.ASCII.GetBytes(clamp.ToString(CultureInfo.InvariantCulture))));
        }

        return JsonSplice.Apply(Raw, edits);
    }

    private static (MessagesRequest?, GatewayError?) Scan(byte[] raw)
    {
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            while (reader.Read())
            {
                // the rest must still be well-formed
            }

            return (null, GatewayError.BadRequest("invalid_json", "The request body must be a JSON object."));
        }

        string? model = null, repeated = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var hasMessages = false;
        JsonTokenType streamKind = JsonTokenType.None, maxKind = JsonTokenType.None;
        long? maxTokens = null;
        (int, int) modelValue = default, maxValue = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            if (name is "model" or "messages" or "stream" or "max_tokens" && !seen.Add(name))
            {
                repeated ??= name;
            }

            switch (name)
            {
                case "model" when reader.TokenType == JsonTokenType.String:
                    model = reader.GetString();
                    modelValue = (start, (int)reader.BytesConsumed);
                    break;
                case "messages" when reader.TokenType == JsonTokenType.StartArray:
                    var probe = reader;
                    hasMessages = probe.Read() && probe.TokenType != JsonTokenType.EndArray;
                    break;
                case "stream":
                    streamKind = reader.TokenType;
                    break;
                case "max_tokens":
                    maxKind = reader.TokenType;
                    maxTokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) ? n : null;
                    maxValue = (start, (int)reader.BytesConsumed);
                    break;
            }

            reader.Skip();
        }

        while (reader.Read())
        {
            // trailing content is a syntax error, thrown by the reader
        }

        GatewayError? error = repeated is not null ? GatewayError.BadRequest("invalid_json", $"The '{repeated}' field appears more than once.", repeated)
            : string.IsNullOrWhiteSpace(model) ? GatewayError.BadRequest("invalid_request_error", "model: Field required", "model")
            : !hasMessages ? GatewayError.BadRequest("invalid_request_error", "messages: Field required (a non-empty array of messages)", "messages")
            : maxKind == JsonTokenType.None ? GatewayError.BadRequest("invalid_request_error", "max_tokens: Field required", "max_tokens")
            : maxTokens is not > 0 ? GatewayError.BadRequest("invalid_request_error", "max_tokens: Input should be a positive integer", "max_tokens")
            : streamKind is not (JsonTokenType.None or JsonTokenType.True or JsonTokenType.False) ? GatewayError.BadRequest("invalid_request_error", "stream: Input should be a valid boolean", "stream")
            : null;
        return error is not null
            ? (null, error)
            : (new MessagesRequest(raw, model!, streamKind == JsonTokenType.True, maxTokens!.Value, modelValue, maxValue), null);
    }
}
