using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Endpoints.Embeddings;

/// <summary>
/// <c>POST /v1/embeddings</c> (OpenAI Embeddings): <c>input</c> as a string, an array of strings, an
/// array of token ids or an array of such arrays; <c>dimensions</c>, <c>encoding_format</c> (base64
/// included) and <c>user</c> passed through. Billed per input token (<c>inputPerMillion</c>).
/// <para>Bound: a string's UTF-8 byte count (no tokenizer emits more tokens than bytes) and a token
/// array's length, summed over the inputs. Actual: <c>usage.prompt_tokens</c>.</para>
/// </summary>
internal sealed class EmbeddingsEndpoint : IGatewayEndpoint
{
    /// <summary>The most inputs one request may carry (OpenAI's limit).</summary>
    private const int MaxInputs = 2048;

    /// <inheritdoc />
    public string Name => "embeddings";

    /// <inheritdoc />
    public string ModelKind => ModelKinds.Embedding;

    /// <inheritdoc />
    public ErrorFormat Errors => OpenAIErrorFormat.Instance;

    /// <inheritdoc />
    public (IGatewayRequest? Request, GatewayError? Error) Parse(byte[] body, HttpRequest http)
    {
        var (json, error) = MediaInput.Json(body);
        if (json is null)
        {
            return (null, error);
        }

        var (model, modelError) = MediaInput.RequiredString(json, "model");
        if (model is null)
        {
            return (null, modelError);
        }

        var (tokens, inputError) = InputTokenBound(json["input"]);
        if (inputError is not null)
        {
            return (null, inputError);
        }

        var (format, formatError) = MediaInput.OptionalString(json, "encoding_format");
        if (formatError is not null || format is not (null or "float" or "base64"))
        {
            return (null, formatError ?? GatewayError.BadRequest("invalid_value", "'encoding_format' must be 'float' or 'base64'.", "encoding_format"));
        }

        var (_, dimensionsError) = MediaInput.OptionalInteger(json, "dimensions", 1, 100_000);
        if (dimensionsError is not null)
        {
            return (null, dimensionsError);
        }

        var bound = new UnitUsage { Tokens = new TokenUsage(tokens, 0, 0, 0, 0) };
        return (new MediaRequest(model, _ => (bound, null)) { Json = json }, null);
    }

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request) =>
        MediaExchange.Serves(candidate) ? new MediaExchange((MediaRequest)request, "/embeddings", ReadAnswer) : null;

    /// <summary>The input's token bound, or the 400 that says what is wrong with it.</summary>
    internal static (long Tokens, GatewayError? Error) InputTokenBound(JsonNode? input)
    {
        static GatewayError Invalid(string why) => GatewayError.BadRequest("invalid_value", $"'input' {why}.", "input");

        switch (input)
        {
            case null:
                return (0, GatewayError.BadRequest("missing_required_parameter", "'input' is required.", "input"));
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                return text.Length == 0 ? (0, Invalid("must not be empty")) : (CostEstimator.InputTokenBound(System.Text.Encoding.UTF8.GetByteCount(text)), null);
            case JsonArray array when array.Count == 0:
                return (0, Invalid("must not be an empty array"));
            case JsonArray array when array.Count > MaxInputs:
                return (0, Invalid($"has more than {MaxInputs} items"));
            case JsonArray array:
                long total = 0;
                foreach (var item in array)
                {
                    var (tokens, error) = item switch
                    {
                        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.TryGetValue<long>(out var id) && id >= 0 ? (1L, (GatewayError?)null) : (0, Invalid("has a token id that is not a non-negative integer")),
                        JsonArray ids => TokenArray(ids),
                        JsonValue v when v.GetValueKind() == JsonValueKind.String => InputTokenBound(v),
                        _ => (0, Invalid("must be a string, an array of strings, an array of token ids or an array of token arrays")),
                    };
                    if (error is not null)
                    {
                        return (0, error);
                    }

                    total += tokens;
                }

                return (total, null);
            default:
                return (0, Invalid("must be a string, an array of strings, an array of token ids or an array of token arrays"));
        }

        static (long, GatewayError?) TokenArray(JsonArray ids)
        {
            if (ids.Count == 0)
            {
                return (0, Invalid("has an empty token array"));
            }

            foreach (var id in ids)
            {
                if (id is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<long>(out var n) || n < 0)
                {
                    return (0, Invalid("has a token id that is not a non-negative integer"));
                }
            }

            return (ids.Count, null);
        }
    }

    private static UpstreamAnswer ReadAnswer(byte[] body)
    {
        var root = MediaExchange.Root(body);
        UnitUsage? units = null;
        if (root is { } r && r.TryGetProperty("usage", out var usage) && MediaExchange.Long(usage, "prompt_tokens") is { } prompt)
        {
            units = new UnitUsage { Tokens = new TokenUsage(prompt, 0, 0, 0, 0) };
        }

        return new UpstreamAnswer(body, null, body.Length, units);
    }
}
