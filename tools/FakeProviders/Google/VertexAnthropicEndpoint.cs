using System.Text.Json;
using Tollgate.FakeProviders.Anthropic;

namespace Tollgate.FakeProviders.Google;

/// <summary>
/// Claude on Vertex: <c>publishers/anthropic/models/{model}:rawPredict</c> and <c>:streamRawPredict</c>. The
/// bearer must be a token from <see cref="VertexTokenEndpoint"/>; the body is a Messages body without
/// <c>model</c> (it is in the URL) and with <c>"anthropic_version":"vertex-2023-10-16"</c>, refused with
/// Anthropic's 400 otherwise. Beta flags come in the <c>anthropic-beta</c> header (recorded with the
/// request); a body field <c>anthropic_beta</c> (Bedrock's form) is an extra input Anthropic refuses. Once checked, the request is answered by the Anthropic fake (same knobs),
/// as Vertex relays Anthropic's own answers and errors.
/// </summary>
internal sealed class VertexAnthropicEndpoint(FakeOptions options, RequestLog log, TimeProvider time, VertexTokenEndpoint tokens, MessagesEndpoint messages)
{
    /// <summary>The version Vertex requires in the body.</summary>
    public const string Version = "vertex-2023-10-16";

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var aborted = context.RequestAborted;
        var body = await FakeExchange.ReadBodyAsync(request, aborted);
        FakeExchange.Record(log, request, "vertex", body, time);
        if (GoogleApi.Target(context) is not ({ } model, var method) || method is not ("rawPredict" or "streamRawPredict"))
        {
            await GoogleError.ForStatus(404).WriteAsync(context.Response, aborted);
            return;
        }

        var authorization = (string?)request.Headers.Authorization;
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal) || !tokens.IsValid(authorization["Bearer ".Length..]))
        {
            await GoogleError.Unauthenticated.WriteAsync(context.Response, aborted);
            return;
        }

        byte[] forwarded;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var version = root.TryGetProperty("anthropic_version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var extra = root.TryGetProperty("model", out _) ? "model" : root.TryGetProperty("anthropic_beta", out _) ? "anthropic_beta" : null;
            if (version != Version || extra is not null)
            {
                await new AnthropicError(400, "invalid_request_error",
                    version != Version ? $"anthropic_version: must be {Version}" : $"{extra}: Extra inputs are not permitted").WriteAsync(context.Response, "req_vertex", aborted);
                return;
            }

            // What Anthropic's API would have received: the model from the URL, no body version.
            using var buffer = new MemoryStream(body.Length + model.Length + 16);
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("model", model);
                foreach (var property in root.EnumerateObject())
                {
                    if (property.Name != "anthropic_version")
                    {
                        property.WriteTo(json);
                    }
                }

                json.WriteEndObject();
            }

            forwarded = buffer.ToArray();
        }
        catch (JsonException)
        {
            await GoogleError.ForStatus(400).WriteAsync(context.Response, aborted);
            return;
        }

        request.Body = new MemoryStream(forwarded);
        request.ContentLength = forwarded.Length;
        request.Headers.Authorization = default;
        request.Headers["x-api-key"] = options.RequireApiKey ?? "vertex-token-checked";
        request.Headers["anthropic-version"] = "2023-06-01";
        request.RouteValues["provider"] = "vertex-anthropic";
        await messages.HandleAsync(context);
    }
}
