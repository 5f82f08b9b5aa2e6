using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Tollgate.Tests.Operations;

/// <summary>An answer read whole: status, content type, text and the JSON body when there is one.</summary>
internal sealed record RawAnswer(HttpStatusCode Status, string? ContentType, string Text)
{
    /// <summary>The body as JSON, or Undefined when it is not JSON.</summary>
    public JsonElement Json
    {
        get
        {
            try
            {
                using var document = JsonDocument.Parse(Text);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return default;
            }
        }
    }

    /// <summary>The problem's <c>detail</c>, or "" when there is none.</summary>
    public string Detail => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";

    /// <summary>The field names of the problem's <c>errors</c>.</summary>
    public IReadOnlyList<string> ErrorFields =>
        Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object
            ? [.. e.EnumerateObject().Select(p => p.Name)]
            : [];
}

/// <summary>Requests with exact bytes and content type, each bounded by a timeout.</summary>
internal static class RawCalls
{
    /// <summary>Sends <paramref name="body"/> as it is (null: no body) with <paramref name="contentType"/>.</summary>
    public static async Task<RawAnswer> SendAsync(HttpClient client, HttpMethod method, string path, byte[]? body, string? contentType = "application/json", IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }

        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request, cts.Token);
        return new RawAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(cts.Token));
    }

    /// <summary>Sends UTF-8 text.</summary>
    public static Task<RawAnswer> SendAsync(HttpClient client, HttpMethod method, string path, string body, string? contentType = "application/json") =>
        SendAsync(client, method, path, System.Text.Encoding.UTF8.GetBytes(body), contentType);
}
