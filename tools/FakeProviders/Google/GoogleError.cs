using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Google;

/// <summary>A Google API error: <c>{"error":{"code","message","status"}}</c> at the HTTP status <c>code</c>.</summary>
internal sealed record GoogleError(int Code, string Status, string Message)
{
    /// <summary>AI Studio without a key.</summary>
    public static readonly GoogleError MissingKey = new(403, "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");

    /// <summary>AI Studio with a key it does not know (Google answers 400 here, not 401).</summary>
    public static readonly GoogleError InvalidKey = new(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");

    /// <summary>Vertex without a valid OAuth access token.</summary>
    public static readonly GoogleError Unauthenticated = new(401, "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");

    /// <summary>The error Google answers with at <paramref name="status"/>.</summary>
    public static GoogleError ForStatus(int status) => status switch
    {
        400 => new(400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
        401 => Unauthenticated,
        403 => new(403, "PERMISSION_DENIED", "The caller does not have permission."),
        404 => new(404, "NOT_FOUND", "The requested model was not found."),
        429 => new(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
        503 => new(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
        504 => new(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
        _ when status >= 500 => new(status, "INTERNAL", "An internal error has occurred."),
        _ => new(status, "FAILED_PRECONDITION", "The request failed."),
    };

    /// <summary>Writes <c>{"error":{...}}</c>.</summary>
    public void WriteTo(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartObject("error"u8);
        json.WriteNumber("code"u8, Code);
        json.WriteString("message"u8, Message);
        json.WriteString("status"u8, Status);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The whole error answer.</summary>
    public async Task WriteAsync(HttpResponse response, CancellationToken aborted)
    {
        response.StatusCode = Code;
        response.ContentType = "application/json; charset=UTF-8";
        using (var json = new Utf8JsonWriter(response.BodyWriter, OpenAIError.WriterOptions))
        {
            WriteTo(json);
        }

        await response.BodyWriter.FlushAsync(aborted);
    }
}
