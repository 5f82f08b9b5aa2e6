using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;

namespace Tollgate.Gateway.Endpoints.Media;

/// <summary>Body checks shared by the unit-billed endpoints: JSON fields and multipart uploads.</summary>
internal static class MediaInput
{
    /// <summary>Reads a <c>multipart/form-data</c> upload up to the upload limit: 415 for another content type, 413 past the limit.</summary>
    public static async Task<(byte[]? Bytes, GatewayError? Error)> ReadUploadAsync(HttpRequest http, GatewayOptions options, CancellationToken cancellationToken)
    {
        if (http.ContentType is not { } type || !type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return (null, new GatewayError(StatusCodes.Status415UnsupportedMediaType, "invalid_request_error", "unsupported_media_type",
                $"Content-Type must be multipart/form-data (got '{http.ContentType ?? "none"}')."));
        }

        var (bytes, error) = await RequestBodyReader.ReadBytesAsync(http, options.MaxUploadBytes, "a multipart/form-data upload is expected", cancellationToken).ConfigureAwait(false);
        return error is { Status: StatusCodes.Status413PayloadTooLarge }
            ? (null, error with { Message = $"The upload is larger than the limit of {options.MaxUploadBytes} bytes (Tollgate:Gateway:MaxUploadBytes)." })
            : (bytes, error);
    }

    /// <summary>The JSON object of a body, or the 400 that says why it is not one.</summary>
    public static (JsonObject? Body, GatewayError? Error) Json(byte[] body) => RequestBodyReader.ParseObject(body);

    /// <summary>A required non-empty string field, or the 400 naming it.</summary>
    public static (string? Value, GatewayError? Error) RequiredString(JsonObject body, string name)
    {
        if (body[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String && value.GetValue<string>() is { Length: > 0 } text)
        {
            return (text, null);
        }

        return (null, GatewayError.BadRequest(body[name] is null ? "missing_required_parameter" : "invalid_type",
            body[name] is null ? $"'{name}' is required." : $"'{name}' must be a non-empty string.", name));
    }

    /// <summary>An optional string field (null when absent), or the 400 when it is not a string.</summary>
    public static (string? Value, GatewayError? Error) OptionalString(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null)
        {
            return (null, null);
        }

        return node is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? (value.GetValue<string>(), null)
            : (null, GatewayError.BadRequest("invalid_type", $"'{name}' must be a string.", name));
    }

    /// <summary>An optional integer field within <c>[min, max]</c> (null when absent), or the 400.</summary>
    public static (long? Value, GatewayError? Error) OptionalInteger(JsonObject body, string name, long min, long max)
    {
        var node = body[name];
        if (node is null)
        {
            return (null, null);
        }

        return node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var number) && number >= min && number <= max
            ? (number, null)
            : (null, GatewayError.BadRequest("invalid_value", $"'{name}' must be an integer from {min} to {max}.", name));
    }

    /// <summary>An integer form field within <c>[min, max]</c> (null when absent), or the 400.</summary>
    public static (long? Value, GatewayError? Error) FormInteger(MultipartForm form, string name, long min, long max)
    {
        if (form.Field(name) is not { } text)
        {
            return (null, null);
        }

        return long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && number >= min && number <= max
            ? (number, null)
            : (null, GatewayError.BadRequest("invalid_value", $"'{name}' must be an integer from {min} to {max}.", name));
    }

    /// <summary>The 400 for a multipart upload without its required field.</summary>
    public static GatewayError Missing(string name, string what) =>
        GatewayError.BadRequest("missing_required_parameter", $"'{name}' is required: {what}.", name);
}
