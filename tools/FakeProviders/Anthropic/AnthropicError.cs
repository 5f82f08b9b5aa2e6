using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Anthropic;

/// <summary>
/// An Anthropic error answer: <c>{"type":"error","error":{"type","message"},"request_id"}</c> with an HTTP
/// status, or the same object as a mid-stream <c>event: error</c>. Types per status follow the API's errors
/// reference (400 invalid_request_error ... 529 overloaded_error).
/// </summary>
internal sealed record AnthropicError(int Status, string Type, string Message)
{
    public const string InvalidRequest = "invalid_request_error";

    public static readonly AnthropicError MissingApiKey = new(StatusCodes.Status401Unauthorized, "authentication_error", "x-api-key header is required");

    public static readonly AnthropicError InvalidApiKey = new(StatusCodes.Status401Unauthorized, "authentication_error", "invalid x-api-key");

    public static readonly AnthropicError MissingVersion = BadRequest("anthropic-version: header is required");

    public static AnthropicError BadRequest(string message) => new(StatusCodes.Status400BadRequest, InvalidRequest, message);

    /// <summary>The error the <c>status</c> knob asks for.</summary>
    public static AnthropicError ForStatus(int status, string model) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest("Fake invalid request."),
        StatusCodes.Status401Unauthorized => InvalidApiKey,
        StatusCodes.Status402PaymentRequired => new(status, "billing_error", "Your credit balance is too low to access the Anthropic API."),
        StatusCodes.Status403Forbidden => new(status, "permission_error", "Your API key does not have permission to use the specified resource."),
        StatusCodes.Status404NotFound => new(status, "not_found_error", $"model: {model}"),
        StatusCodes.Status413PayloadTooLarge => new(status, "request_too_large", "Request exceeds the maximum allowed number of bytes."),
        StatusCodes.Status429TooManyRequests => new(status, "rate_limit_error", "This request would exceed the rate limit for your organization of 50 requests per minute."),
        StatusCodes.Status504GatewayTimeout => new(status, "timeout_error", "Request timed out."),
        529 => new(status, "overloaded_error", "Overloaded"),
        >= 500 => new(status, "api_error", "Internal server error"),
        _ => new(status, InvalidRequest, $"Fake error with status {status}."),
    };

    /// <summary>The mid-stream error the <c>error_after</c> knob sends (default <c>overloaded_error</c>).</summary>
    public static AnthropicError ForType(string? type) => (type ?? "overloaded_error") switch
    {
        "invalid_request_error" => ForStatus(StatusCodes.Status400BadRequest, string.Empty),
        "authentication_error" => InvalidApiKey,
        "billing_error" => ForStatus(StatusCodes.Status402PaymentRequired, string.Empty),
        "permission_error" => ForStatus(StatusCodes.Status403Forbidden, string.Empty),
        "not_found_error" => new(StatusCodes.Status404NotFound, "not_found_error", "Not found"),
        "request_too_large" => ForStatus(StatusCodes.Status413PayloadTooLarge, string.Empty),
        "rate_limit_error" => ForStatus(StatusCodes.Status429TooManyRequests, string.Empty),
        "timeout_error" => ForStatus(StatusCodes.Status504GatewayTimeout, string.Empty),
        "api_error" => ForStatus(StatusCodes.Status500InternalServerError, string.Empty),
        "overloaded_error" => ForStatus(529, string.Empty),
        var other => new(StatusCodes.Status500InternalServerError, other, "Fake error."),
    };

    /// <summary>Writes the status, the <c>request-id</c> header and the body. The caller has not started the response.</summary>
    public Task WriteAsync(HttpResponse response, string requestId, CancellationToken cancellationToken)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        response.Headers["request-id"] = requestId;
        using (var json = new Utf8JsonWriter(response.BodyWriter, OpenAIError.WriterOptions))
        {
            WriteObject(json, requestId);
        }

        return response.BodyWriter.FlushAsync(cancellationToken).AsTask();
    }

    /// <summary><c>{"type":"error","error":{...}}</c>, with <c>request_id</c> when one is given.</summary>
    public void WriteObject(Utf8JsonWriter json, string? requestId)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "error"u8);
        json.WriteStartObject("error"u8);
        json.WriteString("type"u8, Type);
        json.WriteString("message"u8, Message);
        json.WriteEndObject();
        if (requestId is not null)
        {
            json.WriteString("request_id"u8, requestId);
        }

        json.WriteEndObject();
    }
}
