using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Accounts;

/// <summary>An answer of the management API: status, JSON body (Undefined when empty) and headers.</summary>
internal sealed record ApiResponse(HttpStatusCode Status, JsonElement Body, string Text, string? ContentType, HttpResponseHeaders Headers)
{
    /// <summary>The <c>errors</c> of a validation problem, by field.</summary>
    public IReadOnlyList<string> ErrorFields =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("errors", out var errors)
            ? [.. errors.EnumerateObject().Select(p => p.Name)]
            : [];

    /// <summary>A string property of the body.</summary>
    public string Str(string name) => Body.GetProperty(name).GetString()!;
}

/// <summary>Calls with a timeout on every await, for the accounts tests.</summary>
internal static class ApiCalls
{
    /// <summary>Upper bound for one call.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>ISO 8601 UTC with milliseconds, as the API writes instants.</summary>
    public const string TimePattern = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$";

    public static Task<ApiResponse> ApiGetAsync(this HttpClient client, string path) => client.SendJsonAsync(HttpMethod.Get, path, null);

    public static Task<ApiResponse> ApiPostAsync(this HttpClient client, string path, object? body = null) => client.SendJsonAsync(HttpMethod.Post, path, body ?? new { });

    public static Task<ApiResponse> ApiPatchAsync(this HttpClient client, string path, object body) => client.SendJsonAsync(HttpMethod.Patch, path, body);

    public static Task<ApiResponse> ApiDeleteAsync(this HttpClient client, string path) => client.SendJsonAsync(HttpMethod.Delete, path, null);

    public static async Task<ApiResponse> SendJsonAsync(this HttpClient client, HttpMethod method, string path, object? body)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body is string raw
                ? new StringContent(raw, System.Text.Encoding.UTF8, "application/json")
                : JsonContent.Create(body);
        }

        using var response = await client.SendAsync(request, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        var json = default(JsonElement);
        if (text.Length > 0 && (text[0] == '{' || text[0] == '['))
        {
            using var document = JsonDocument.Parse(text);
            json = document.RootElement.Clone();
        }

        return new ApiResponse(response.StatusCode, json, text, response.Content.Headers.ContentType?.MediaType, response.Headers);
    }

    /// <summary>Runs the gateway's key check on a request carrying <paramref name="header"/>: <paramref name="value"/>.</summary>
    public static async Task<KeyAuthResult> AuthenticateAsync(TollgateServer server, string? header, string? value)
    {
        var context = new DefaultHttpContext();
        if (header is not null)
        {
            context.Request.Headers[header] = value;
        }

        using var cts = new CancellationTokenSource(Timeout);
        return await server.App.Services.GetRequiredService<ApiKeyAuthenticator>().AuthenticateAsync(context.Request, cts.Token).AsTask().WaitAsync(Timeout);
    }

    /// <summary>Runs the gateway's key check with <c>Authorization: Bearer {key}</c>.</summary>
    public static Task<KeyAuthResult> AuthenticateBearerAsync(TollgateServer server, string key) =>
        AuthenticateAsync(server, "Authorization", "Bearer " + key);
}
