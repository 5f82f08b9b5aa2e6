using System.Net.Http.Headers;
using System.Text.Json;
using Tollgate.Gateway.Errors;

namespace Tollgate.Providers.Bedrock;

/// <summary>
/// Bedrock's errors as gateway errors. The JSON API names the error in the <c>x-amzn-ErrorType</c>
/// header (<c>ValidationException</c>, optionally followed by <c>:</c> and a namespace) with a body
/// <c>{"message":"..."}</c>; the event stream names it in <c>:exception-type</c> (lower camel case,
/// <c>throttlingException</c>) with the same payload. Both map here, case-insensitively.
/// </summary>
internal static class BedrockErrors
{
    /// <summary>The header of the JSON API's error name.</summary>
    public const string ErrorTypeHeader = "x-amzn-ErrorType";

    /// <summary>The gateway error for a Bedrock exception <paramref name="name"/>.</summary>
    /// <param name="name">The exception name, as either API spells it.</param>
    /// <param name="message">Bedrock's message.</param>
    /// <param name="midStream">Raised inside a stream that had begun (then a model stream error is the provider's failure, 502).</param>
    public static GatewayError FromException(string? name, string? message, bool midStream)
    {
        var type = name ?? "UnknownError";
        var colon = type.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            type = type[..colon];
        }

        var text = $"Bedrock: {message ?? type}";
        return type.ToLowerInvariant() switch
        {
            "throttlingexception" or "servicequotaexceededexception" or "toomanyrequestsexception" =>
                new(StatusCodes.Status429TooManyRequests, "rate_limit_error", type, text),
            "validationexception" => new(StatusCodes.Status400BadRequest, "invalid_request_error", type, text),
            "accessdeniedexception" or "signaturedoesnotmatch" or "invalidsignatureexception" or "unrecognizedclientexception" =>
                new(StatusCodes.Status403Forbidden, "permission_error", type, text),
            "resourcenotfoundexception" => new(StatusCodes.Status404NotFound, "not_found_error", type, text),
            "modelnotreadyexception" or "serviceunavailableexception" => new(StatusCodes.Status503ServiceUnavailable, "upstream_error", type, text),
            "modeltimeoutexception" => new(StatusCodes.Status504GatewayTimeout, "upstream_error", type, text),
            "internalserverexception" => new(StatusCodes.Status500InternalServerError, "upstream_error", type, text),
            "modelstreamerrorexception" or "modelerrorexception" => new(StatusCodes.Status502BadGateway, "upstream_error", type, text),
            _ => new(midStream ? StatusCodes.Status502BadGateway : StatusCodes.Status500InternalServerError, "upstream_error", type, text),
        };
    }

    /// <summary>The JSON API's error answer: the name from the header (else the body's <c>__type</c>), the body's message.</summary>
    public static GatewayError FromResponse(int status, byte[] body, HttpResponseHeaders headers)
    {
        string? name = headers.TryGetValues(ErrorTypeHeader, out var values) ? values.FirstOrDefault() : null;
        var message = MessageOf(body);
        if (name is null && body.Length > 0)
        {
            name = Field(body, "__type");
        }

        if (name is null)
        {
            return new GatewayError(status, "upstream_error", "upstream_error", $"Bedrock answered HTTP {status}: {message ?? "no message"}");
        }

        return FromException(name, message, midStream: false);
    }

    /// <summary>The <c>message</c> (or <c>Message</c>) of an error payload, when it has one.</summary>
    public static string? MessageOf(ReadOnlySpan<byte> payload) => Field(payload, "message") ?? Field(payload, "Message");

    private static string? Field(ReadOnlySpan<byte> json, string name)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
