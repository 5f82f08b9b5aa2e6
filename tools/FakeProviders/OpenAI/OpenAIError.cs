using System.Text.Encodings.Web;
using System.Text.Json;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>
/// An OpenAI error answer: <c>{"error":{"message","type","param","code"}}</c> with an HTTP status.
/// Messages and types follow what api.openai.com sends.
/// </summary>
internal sealed record OpenAIError(int Status, string Message, string Type, string? Param, string? Code)
{
    private const string InvalidRequest = "invalid_request_error";

    /// <summary>OpenAI does not escape quotes, apostrophes or non-ASCII text; neither do we.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public static readonly OpenAIError InvalidJson = BadRequest(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. "
        + "The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        param: null,
        code: null);

    public static readonly OpenAIError MissingApiKey = new(
        StatusCodes.Status401Unauthorized,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth "
        + "(i.e. Authorization: Bearer YOUR_KEY).",
        InvalidRequest,
        null,
        null);

    public static OpenAIError BadRequest(string message, string? param, string? code) =>
        new(StatusCodes.Status400BadRequest, message, InvalidRequest, param, code);

    public static OpenAIError IncorrectApiKey(string key) => new(
        StatusCodes.Status401Unauthorized,
        $"Incorrect API key provided: {Mask(key)}. You can find your API key at https://platform.openai.com/account/api-keys.",
        InvalidRequest,
        null,
        "invalid_api_key");

    public static OpenAIError InvalidUrl(string method, string path) =>
        new(StatusCodes.Status404NotFound, $"Invalid URL ({method} {path})", InvalidRequest, null, null);

    /// <summary>The error the <c>status</c> knob asks for.</summary>
    public static OpenAIError ForStatus(int status, string model) => status switch
    {
        StatusCodes.Status401Unauthorized => IncorrectApiKey("sk-fake"),
        StatusCodes.Status403Forbidden => new(status, "Country, region, or territory not supported", "request_forbidden", null, "unsupported_country_region_territory"),
        StatusCodes.Status404NotFound => new(status, $"The model `{model}` does not exist or you do not have access to it.", InvalidRequest, null, "model_not_found"),
        StatusCodes.Status429TooManyRequests => new(status, $"Rate limit reached for {model} on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.", "requests", null, "rate_limit_exceeded"),
        StatusCodes.Status503ServiceUnavailable => new(status, "The engine is currently overloaded, please try again later", "server_error", null, null),
        >= 500 => new(status, "The server had an error while processing your request. Sorry about that!", "server_error", null, null),
        _ => new(status, $"Fake error with status {status}.", InvalidRequest, null, null),
    };

    /// <summary>Writes the status and the body. The caller has not started the response.</summary>
    public Task WriteAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(response.BodyWriter, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("error"u8);
            json.WriteString("message"u8, Message);
            json.WriteString("type"u8, Type);
            WriteNullable(json, "param"u8, Param);
            WriteNullable(json, "code"u8, Code);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return response.BodyWriter.FlushAsync(cancellationToken).AsTask();
    }

    private static void WriteNullable(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static string Mask(string key) =>
        key.Length <= 8 ? "sk-***" : string.Concat(key.AsSpan(0, 4), "*****", key.AsSpan(key.Length - 4));
}
