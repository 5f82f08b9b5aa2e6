using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Bedrock;

/// <summary>
/// An error as the Bedrock runtime's JSON API answers it: the HTTP status, the exception name in the
/// <c>x-amzn-ErrorType</c> header and <c>{"message":"..."}</c> in the body.
/// </summary>
internal sealed record BedrockError(int Status, string Type, string Message)
{
    public static readonly BedrockError MissingAuthentication = new(403, "MissingAuthenticationTokenException", "Missing Authentication Token");

    public static readonly BedrockError IncompleteSignature = new(403, "IncompleteSignatureException",
        "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters, and an X-Amz-Date header.");

    public static readonly BedrockError UnrecognizedClient = new(403, "UnrecognizedClientException", "The security token included in the request is invalid.");

    public static readonly BedrockError SignatureExpired = new(403, "InvalidSignatureException", "Signature expired: the request time is too far from the server's.");

    public static readonly BedrockError SignatureMismatch = new(403, "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.");

    /// <summary>The error Bedrock answers with <paramref name="status"/>, or the exception <paramref name="type"/> when the knob names one.</summary>
    public static BedrockError ForStatus(int status, string? type) => type is not null
        ? new(status, type, $"Fake {type}.")
        : status switch
        {
            400 => new(400, "ValidationException", "The provided request is not valid."),
            403 => new(403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
            404 => new(404, "ResourceNotFoundException", "The requested resource could not be found."),
            408 => new(408, "ModelTimeoutException", "The request took too long to process."),
            424 => new(424, "ModelErrorException", "The model failed to process the request."),
            429 => new(429, "ThrottlingException", "Too many requests, please wait before trying again."),
            503 => new(503, "ServiceUnavailableException", "The service isn't currently available."),
            _ => new(status, "InternalServerException", "An internal server error occurred."),
        };

    public async Task WriteAsync(HttpResponse response, string requestId, CancellationToken aborted)
    {
        response.StatusCode = Status;
        response.ContentType = "application/json";
        response.Headers["x-amzn-ErrorType"] = Type + ":http://internal.amazon.com/coral/com.amazon.bedrock/";
        response.Headers["x-amzn-RequestId"] = requestId;
        using (var json = new Utf8JsonWriter(response.BodyWriter, OpenAIError.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("message"u8, Message);
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(aborted);
    }
}
