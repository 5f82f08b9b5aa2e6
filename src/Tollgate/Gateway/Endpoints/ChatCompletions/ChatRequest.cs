using System.Text.Json;
using System.Globalization;
using System.Text;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;

namespace Tollgate.Gateway.Endpoints.ChatCompletions;

/// <summary>
/// A validated Chat Completions request, kept as the client's bytes so unknown fields pass through
/// untouched. It is read in one forward pass (no document tree), which notes where the fields the
/// gateway may change sit; the upstream body is the client's bytes with those edits spliced in:
/// the provider's model, the usage option on streams, a clamped output limit. A field the gateway
/// reads may appear once: a repeated one is refused, since the gateway and the provider could
/// otherwise read different values (a model priced as one and served as another).
/// </summary>
internal sealed class ChatRequest : IGatewayRequest
{
    /// <summary>OpenAI's largest <c>n</c>.</summary>
    public const int MaxAnswers = 128;

    private const int Model = 1, Messages = 2, StreamField = 4, StreamOptions = 8, MaxCompletionTokens = 16, MaxTokens = 32, Choices = 64;

    private readonly byte[] _raw;
    private readonly Fields _fields;

    private ChatRequest(byte[] raw, Fields fields)
    {
        _raw = raw;
        _fields = fields;
        ModelName = fields.Model!;
        Stream = fields.StreamKind == JsonTokenType.True;
        ClientWantsUsage = Stream && fields.IncludeUsage == JsonTokenType.True;
        MaxOutputTokens = fields.MaxOutputTokens;
        MaxOutputField = fields.MaxCompletion is { Kind: not JsonTokenType.Null } ? "max_completion_tokens" : "max_tokens";
        Answers = fields.Answers;
    }

    private (Translation.ChatTurn?, GatewayError?)? _turn;

    /// <summary>The request in the internal form, read once when a provider needs it translated.</summary>
    public (Translation.ChatTurn? Turn, GatewayError? Error) Turn(Translation.IChatWireFormat format) => _turn ??= format.ReadRequest(_raw);

    /// <summary>The requested model name.</summary>
    public string ModelName { get; }

    /// <summary><c>"stream": true</c>.</summary>
    public bool Stream { get; }

    /// <summary>The client asked for the usage chunk (<c>stream_options.include_usage</c>).</summary>
    public bool ClientWantsUsage { get; }

    /// <summary><c>max_completion_tokens</c> or <c>max_tokens</c>, when given.</summary>
    public long? MaxOutputTokens { get; }

    /// <inheritdoc />
    public string MaxOutputField { get; }

    /// <summary><c>n</c>: how many choices to generate (1 when absent).</summary>
    public int Answers { get; }

    /// <summary>
    /// Validates the fields the gateway relies on; everything else is the provider's to judge.
    /// Errors, in this order: malformed JSON or not an object, a repeated field, model, messages,
    /// stream, output limits.
    /// </summary>
    public static (ChatRequest? Request, GatewayError? Error) From(byte[] raw)
    {
        Fields fields;
        try
        {
            fields = Scan(raw);
        }
        catch (JsonException)
        {
            // The tree parser words the syntax error for the client.
            var (_, parseError) = RequestBodyReader.ParseObject(raw);
            return (null, parseError ?? GatewayError.BadRequest("invalid_json", "The request body is not valid JSON."));
        }
        catch (InvalidOperationException)
        {
            // A string the gateway reads (a field name or the model) is not valid UTF-8.
            return (null, GatewayError.BadRequest("invalid_json", "The request body is not valid UTF-8 JSON."));
        }

        var error = fields.Validate();
        return error is null ? (new ChatRequest(raw, fields), null) : (null, error);
    }

    /// <summary>
    /// The body to send upstream: the provider's model id, the usage chunk requested on streams (the
    /// gateway reads it and drops it again if the client did not ask), and a clamped output limit
    /// (in <c>max_completion_tokens</c> when the client used it, or for OpenAI when it used neither;
    /// otherwise in <c>max_tokens</c>; the other field is removed).
    /// </summary>
    public byte[] ToUpstreamBody(string providerModelId, bool prefersMaxCompletionTokens, long? clampedMaxOutputTokens)
    {
        var f = _fields;
        var edits = new List<(int Start, int End, byte[] Bytes)>(4)
        {
            (f.ModelValue.Start, f.ModelValue.End, [(byte)'"', .. JsonEncodedText.Encode(providerModelId).EncodedUtf8Bytes, (byte)'"']),
        };
        var appended = new List<byte>();
        if (Stream && !ClientWantsUsage)
        {
            if (f.IncludeUsageValue is { } value)
            {
                edits.Add((value.Start, value.End, "true"u8.ToArray()));
            }
            else if (f.StreamOptionsObject is { } open)
            {
                var empty = f.StreamOptionsEmpty;
                edits.Add((open + 1, open + 1, empty ? "\"include_usage\":true"u8.ToArray() : "\"include_usage\":true,"u8.ToArray()));
            }
            else if (f.StreamOptions is { } options)
            {
                edits.Add((options.ValueStart, options.ValueEnd, "{\"include_usage\":true}"u8.ToArray())); // null or not an object
            }
            else
            {
                appended.AddRange(",\"stream_options\":{\"include_usage\":true}"u8);
            }
        }

        if (clampedMaxOutputTokens is { } clamp)
        {
            var useCompletion = f.MaxCompletion is not null || (prefersMaxCompletionTokens && f.MaxTokensField is null);
            var (target, other) = useCompletion ? (f.MaxCompletion, f.MaxTokensField) : (f.MaxTokensField, f.MaxCompletion);
            var number = Encoding.ASCII.GetBytes(clamp.ToString(CultureInfo.InvariantCulture));
            if (target is not null)
            {
                edits.Add((target.ValueStart, target.ValueEnd, number));
            }
            else
            {
                appended.AddRange(Encoding.ASCII.GetBytes(useCompletion ? ",\"max_completion_tokens\":" : ",\"max_tokens\":"));
                appended.AddRange(number);
            }

            if (other is not null)
            {
                edits.Add((other.RemoveStart, other.RemoveEnd, []));
            }
        }

        if (appended.Count > 0)
        {
            edits.Add((f.ClosingBrace, f.ClosingBrace, [.. appended]));
        }

        return JsonSplice.Apply(_raw, edits);
    }

    /// <summary>One forward pass over the top-level object; throws <see cref="JsonException"/> on bad syntax.</summary>
    private static Fields Scan(ReadOnlySpan<byte> raw)
    {
        var f = new Fields();
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            while (reader.Read())
            {
                // the rest must still be well-formed
            }

            f.NotAnObject = true;
            return f;
        }

        var seen = 0;
        var previousValueEnd = -1;
        Property? previous = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var nameStart = (int)reader.TokenStartIndex;
            if (previous is not null)
            {
                previous.NextNameStart = nameStart;
                previous = null;
            }

            var field = reader.ValueIsEscaped ? Classify(Encoding.UTF8.GetBytes(reader.GetString()!)) : Classify(reader.ValueSpan);
            if ((seen & field) != 0)
            {
                f.Repeated ??= reader.GetString();
            }

            seen |= field;
            reader.Read();
            var valueStart = (int)reader.TokenStartIndex;
            switch (field)
            {
                case Model when reader.TokenType == JsonTokenType.String:
                    f.Model = reader.GetString();
                    f.ModelValue = (valueStart, (int)reader.BytesConsumed);
                    break;
                case Messages when reader.TokenType == JsonTokenType.StartArray:
                    var probe = reader; // a copy looks one token ahead; the array is skipped below
                    f.HasMessages = probe.Read() && probe.TokenType != JsonTokenType.EndArray;
                    break;
                case StreamField:
                    f.StreamKind = reader.TokenType;
                    break;
                case Choices:
                    f.ChoicesKind = reader.TokenType;
                    f.ChoicesValue = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var choices) ? choices : null;
                    break;
                case StreamOptions when reader.TokenType == JsonTokenType.StartObject:
                    f.StreamOptionsObject = valueStart;
                    f.StreamOptionsEmpty = true;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        f.StreamOptionsEmpty = false;
                        var isIncludeUsage = reader.ValueIsEscaped
                            ? reader.GetString() == "include_usage"
                            : reader.ValueTextEquals("include_usage"u8);
                        reader.Read();
                        if (isIncludeUsage)
                        {
                            if (f.IncludeUsageValue is not null)
                            {
                                f.Repeated ??= "stream_options.include_usage";
                            }

                            f.IncludeUsage = reader.TokenType;
                            f.IncludeUsageValue = ((int)reader.TokenStartIndex, (int)reader.TokenStartIndex);
                        }

                        reader.Skip();
                        if (isIncludeUsage)
                        {
                            f.IncludeUsageValue = (f.IncludeUsageValue!.Value.Start, (int)reader.BytesConsumed);
                        }
                    }

                    break;
                case MaxCompletionTokens or MaxTokens:
                    var limit = new Property(field == MaxCompletionTokens ? "max_completion_tokens" : "max_tokens", reader.TokenType,
                        reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) ? n : null);
                    if (field == MaxCompletionTokens)
                    {
                        f.MaxCompletion = limit;
                    }
                    else
                    {
                        f.MaxTokensField = limit;
                    }

                    break;
            }

            reader.Skip();
            var valueEnd = (int)reader.BytesConsumed;
            if (field is MaxCompletionTokens or MaxTokens or StreamOptions)
            {
                var property = field switch
                {
                    MaxCompletionTokens => f.MaxCompletion!,
                    MaxTokens => f.MaxTokensField!,
                    _ => f.StreamOptions = new Property("stream_options", JsonTokenType.StartObject, null),
                };
                property.NameStart = nameStart;
                property.ValueStart = valueStart;
                property.ValueEnd = valueEnd;
                property.PreviousValueEnd = previousValueEnd;
                previous = property;
            }

            previousValueEnd = valueEnd;
        }

        f.ClosingBrace = (int)reader.TokenStartIndex;
        while (reader.Read())
        {
            // trailing content is a syntax error, thrown by the reader
        }

        return f;
    }

    private static int Classify(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("model"u8) ? Model
        : name.SequenceEqual("messages"u8) ? Messages
        : name.SequenceEqual("stream"u8) ? StreamField
        : name.SequenceEqual("stream_options"u8) ? StreamOptions
        : name.SequenceEqual("max_completion_tokens"u8) ? MaxCompletionTokens
        : name.SequenceEqual("max_tokens"u8) ? MaxTokens
        : name.SequenceEqual("n"u8) ? Choices
        : 0;

    /// <summary>A top-level property the gateway may change, and where it sits in the body.</summary>
    private sealed class Property(string name, JsonTokenType kind, long? value)
    {
        public string Name { get; } = name;
        public JsonTokenType Kind { get; } = kind;
        public long? Value { get; } = value;
        public int NameStart { get; set; }
        public int ValueStart { get; set; }
        public int ValueEnd { get; set; }
        public int PreviousValueEnd { get; set; } = -1;
        public int NextNameStart { get; set; } = -1;

        // Removing the property takes the comma before it, or after it when it is the first one.
        public int RemoveStart => PreviousValueEnd >= 0 ? PreviousValueEnd : NameStart;
        public int RemoveEnd => PreviousValueEnd >= 0 || NextNameStart < 0 ? ValueEnd : NextNameStart;
    }

    private sealed class Fields
    {
        public string? Model { get; set; }
        public (int Start, int End) ModelValue { get; set; }
        public bool HasMessages { get; set; }
        public JsonTokenType StreamKind { get; set; }
        public Property? StreamOptions { get; set; }
        public int? StreamOptionsObject { get; set; }
        public bool StreamOptionsEmpty { get; set; }
        public JsonTokenType IncludeUsage { get; set; }
        public (int Start, int End)? IncludeUsageValue { get; set; }
        public Property? MaxCompletion { get; set; }
        public Property? MaxTokensField { get; set; }
        public int ClosingBrace { get; set; }
        public bool NotAnObject { get; set; }
        public string? Repeated { get; set; }
        public JsonTokenType ChoicesKind { get; set; }
        public long? ChoicesValue { get; set; }
        public long? MaxOutputTokens { get; private set; }
        public int Answers { get; private set; } = 1;

        public GatewayError? Validate()
        {
            if (NotAnObject)
            {
                return GatewayError.BadRequest("invalid_json", "The request body must be a JSON object.");
            }

            if (Repeated is { } name)
            {
                return GatewayError.BadRequest("invalid_json", $"The '{name}' field appears more than once.", name);
            }

            if (string.IsNullOrWhiteSpace(Model))
            {
                return GatewayError.BadRequest("missing_required_parameter", "The 'model' field is required and must be a non-empty string.", "model");
            }

            if (!HasMessages)
            {
                return GatewayError.BadRequest("missing_required_parameter", "The 'messages' field is required and must be a non-empty array.", "messages");
            }

            if (StreamKind is not (JsonTokenType.None or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
            {
                return GatewayError.BadRequest("invalid_type", "The 'stream' field must be a boolean.", "stream");
            }

            if (ChoicesKind is not (JsonTokenType.None or JsonTokenType.Null))
            {
                if (ChoicesValue is not { } n || n < 1 || n > MaxAnswers)
                {
                    return GatewayError.BadRequest("invalid_value", $"The 'n' field must be an integer from 1 to {MaxAnswers}.", "n");
                }

                Answers = (int)n;
            }

            foreach (var limit in (ReadOnlySpan<Property?>)[MaxCompletion, MaxTokensField])
            {
                if (limit is null || limit.Kind == JsonTokenType.Null)
                {
                    continue;
                }

                if (limit.Value is not { } n || n <= 0)
                {
                    return GatewayError.BadRequest("invalid_value", $"The '{limit.Name}' field must be a positive integer.", limit.Name);
                }

                MaxOutputTokens = MaxOutputTokens is null ? n : Math.Min(MaxOutputTokens.Value, n);
            }

            return null;
        }
    }
}
