using System.Globalization;
using System.Text;
using System.Text.Json;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;

namespace Tollgate.Gateway.Endpoints.Responses;

/// <summary>
/// A validated OpenAI Responses request, kept as the client's bytes: one forward pass notes where
/// <c>model</c> and <c>max_output_tokens</c> sit so the upstream body is the client's with the
/// provider's model id and a clamped limit spliced in. A field the gateway reads may appear once.
/// </summary>
internal sealed class ResponsesRequest : IGatewayRequest
{
    private static readonly string[] ReadFields = ["model", "input", "stream", "max_output_tokens", "store", "previous_response_id"];

    private (int Start, int End) _modelValue;
    private (int Start, int End)? _limitValue;
    private int _closingBrace;

    private ResponsesRequest(byte[] raw) => Raw = raw;

    private (Translation.ChatTurn?, GatewayError?)? _turn;

    /// <summary>The request in the internal form, read once when a provider needs it translated.</summary>
    public (Translation.ChatTurn? Turn, GatewayError? Error) Turn(Translation.IChatWireFormat format) => _turn ??=
        PreviousResponseId is { } id && Expanded is null
            ? (null, HistoryError ?? ConversationHistory.NotFound(id))
            : format.ReadRequest(Expanded ?? Raw);

    /// <summary>
    /// The request with the stored conversation it continues written into its input, for providers
    /// that keep no conversations; null when it continues none, or the gateway has not stored it.
    /// </summary>
    public byte[]? Expanded { get; set; }

    /// <summary>Why the stored conversation this request continues cannot be rebuilt, when it cannot.</summary>
    public GatewayError? HistoryError { get; set; }

    /// <summary>The client's bytes.</summary>
    public byte[] Raw { get; }

    /// <inheritdoc />
    public string ModelName { get; private set; } = "";

    /// <inheritdoc />
    public bool Stream { get; private set; }

    /// <inheritdoc />
    public long? MaxOutputTokens { get; private set; }

    /// <inheritdoc />
    public string MaxOutputField => "max_output_tokens";

    /// <inheritdoc />
    public int Answers => 1;

    /// <summary><c>store</c>: keep the response for later reads (OpenAI's default: true).</summary>
    public bool Store { get; private set; } = true;

    /// <summary><c>previous_response_id</c>, when the request continues a stored conversation.</summary>
    public string? PreviousResponseId { get; private set; }

    /// <summary>Validates what the gateway relies on.</summary>
    public static (ResponsesRequest? Request, GatewayError? Error) From(byte[] raw)
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

    /// <summary>The upstream body: the provider's model id and, when clamped, <c>max_output_tokens</c>.</summary>
    public byte[] ToUpstreamBody(string providerModelId, long? clamped)
    {
        var edits = new List<(int Start, int End, byte[] Bytes)> { (_modelValue.Start, _modelValue.End, JsonSerializer.SerializeToUtf8Bytes(providerModelId)) };
        if (clamped is { } clamp)
        {
            var number = Encoding.ASCII.GetBytes(clamp.ToString(CultureInfo.InvariantCulture));
            edits.Add(_limitValue is { } at
                ? (at.Start, at.End, number)
                : (_closingBrace, _closingBrace, [.. ",\"max_output_tokens\":"u8, .. number]));
        }

        return JsonSplice.Apply(Raw, edits);
    }

    private static (ResponsesRequest?, GatewayError?) Scan(byte[] raw)
    {
        var request = new ResponsesRequest(raw);
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

        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? repeated = null, wrongType = null;
        var hasInput = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            if (Array.IndexOf(ReadFields, name) >= 0 && !seen.Add(name))
            {
                repeated ??= name;
            }

            var kind = reader.TokenType;
            switch (name)
            {
                case "model" when kind == JsonTokenType.String:
                    request.ModelName = reader.GetString()!;
                    request._modelValue = (start, (int)reader.BytesConsumed);
                    break;
                case "input":
                    hasInput = kind is JsonTokenType.String or JsonTokenType.StartArray;
                    break;
                case "stream":
                    request.Stream = kind == JsonTokenType.True;
                    wrongType ??= kind is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null ? null : "stream";
                    break;
                case "store":
                    request.Store = kind != JsonTokenType.False;
                    break;
                case "previous_response_id" when kind == JsonTokenType.String:
                    request.PreviousResponseId = reader.GetString();
                    break;
                case "max_output_tokens" when kind != JsonTokenType.Null:
                    request.MaxOutputTokens = kind == JsonTokenType.Number && reader.TryGetInt64(out var n) && n > 0 ? n : -1;
                    request._limitValue = (start, start);
                    break;
            }

            reader.Skip();
            if (name == "max_output_tokens" && request._limitValue is { } limit)
            {
                request._limitValue = (limit.Start, (int)reader.BytesConsumed);
            }
        }

        request._closingBrace = (int)reader.TokenStartIndex;
        while (reader.Read())
        {
            // trailing content is a syntax error, thrown by the reader
        }

        GatewayError? error = repeated is not null ? GatewayError.BadRequest("invalid_json", $"The '{repeated}' field appears more than once.", repeated)
            : string.IsNullOrWhiteSpace(request.ModelName) ? GatewayError.BadRequest("missing_required_parameter", "The 'model' field is required and must be a non-empty string.", "model")
            : !hasInput && request.PreviousResponseId is null ? GatewayError.BadRequest("missing_required_parameter", "The 'input' field is required: a string or a list of input items.", "input")
            : wrongType is not null ? GatewayError.BadRequest("invalid_type", $"The '{wrongType}' field must be a boolean.", wrongType)
            : request.MaxOutputTokens is < 0 ? GatewayError.BadRequest("invalid_value", "The 'max_output_tokens' field must be a positive integer.", "max_output_tokens")
            : null;
        return error is null ? (request, null) : (null, error);
    }
}
