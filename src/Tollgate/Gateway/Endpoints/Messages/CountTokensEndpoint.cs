using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Tollgate.Accounts;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Providers;
using Tollgate.Providers.Anthropic;

namespace Tollgate.Gateway.Endpoints.Messages;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c>: never billed, admitted like a read (a valid key with access
/// to its project; no budget is reserved). Answered by Anthropic when it serves the model, otherwise
/// counted here with the o200k tokenizer over the request's text (system, messages, tool definitions).
/// </summary>
internal static class CountTokensEndpoint
{
    private static readonly Lazy<Tokenizer> Tokenizer = new(() => TiktokenTokenizer.CreateForModel("gpt-4o"));

    /// <summary>Handles one request.</summary>
    public static async Task HandleAsync(HttpContext context, ApiKeyAuthenticator authenticator, ModelRouter router, ProviderDirectory providers, GatewayOptions options, TimeProvider time)
    {
        var ct = context.RequestAborted;
        var errors = AnthropicErrorFormat.Instance;
        var auth = await authenticator.AuthenticateAsync(context.Request, ct);
        if (auth.Identity is null)
        {
            await errors.WriteAsync(context.Response, GatewayError.FromAuth(auth));
            return;
        }

        var (body, readError) = await RequestBodyReader.ReadBodyAsync(context.Request, options.MaxRequestBytes, ct);
        if (body is null)
        {
            await errors.WriteAsync(context.Response, readError!);
            return;
        }

        var (model, parseError) = ModelOf(body);
        if (model is null)
        {
            await errors.WriteAsync(context.Response, parseError!);
            return;
        }

        var (candidates, routeError) = router.Resolve(model, "chat", "count_tokens", _ => true, time.GetUtcNow());
        if (routeError is not null)
        {
            await errors.WriteAsync(context.Response, routeError);
            return;
        }

        if (candidates.FirstOrDefault(c => c.Endpoint.Protocol == ProviderProtocol.Anthropic) is { } anthropic)
        {
            await ForwardAsync(context, anthropic, body, providers, options);
            return;
        }

        await Results.Json(new { input_tokens = CountLocally(body) }).ExecuteAsync(context);
    }

    private static async Task ForwardAsync(HttpContext context, RouteCandidate candidate, byte[] body, ProviderDirectory providers, GatewayOptions options)
    {
        // Not on the hot path: a document tree is simplest for swapping the model.
        var json = System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject();
        json["model"] = candidate.Mapping.ProviderModelId;
        using var upstream = AnthropicProvider.CreateRequest(candidate.Endpoint, "/v1/messages/count_tokens",
            Encoding.UTF8.GetBytes(json.ToJsonString()), context.Request.Headers["anthropic-version"], context.Request.Headers["anthropic-beta"]);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(options.UpstreamTimeout);
        try
        {
            using var response = await providers.ClientFor(candidate.Endpoint).SendAsync(upstream, timeout.Token);
            var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = "application/json";
            context.Response.Headers["x-tollgate-provider"] = candidate.Endpoint.Name;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            await AnthropicErrorFormat.Instance.WriteAsync(context.Response, GatewayError.Upstream(StatusCodes.Status502BadGateway, "upstream_unreachable",
                $"The provider '{candidate.Endpoint.Name}' could not count the tokens."));
        }
    }

    private static (string? Model, GatewayError? Error) ModelOf(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, GatewayError.BadRequest("invalid_json", "The request body must be a JSON object."));
            }

            return document.RootElement.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(model.GetString())
                ? (model.GetString(), null)
                : (null, GatewayError.BadRequest("invalid_request_error", "model: Field required", "model"));
        }
        catch (JsonException)
        {
            return (null, GatewayError.BadRequest("invalid_json", "The request body is not valid JSON."));
        }
    }

    /// <summary>Tokens of every text the model would read: system, message texts and tool definitions.</summary>
    internal static int CountLocally(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        var text = new StringBuilder();
        var root = document.RootElement;
        foreach (var name in (string[])["system", "messages"])
        {
            if (root.TryGetProperty(name, out var part))
            {
                CollectText(part, text);
            }
        }

        if (root.TryGetProperty("tools", out var tools))
        {
            text.Append(tools.GetRawText());
        }

        return Tokenizer.Value.CountTokens(text.ToString());
    }

    private static void CollectText(JsonElement element, StringBuilder text)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                text.Append(element.GetString()).Append('\n');
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CollectText(item, text);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name is "text" or "content" or "thinking" or "input")
                    {
                        if (property.Name == "input")
                        {
                            text.Append(property.Value.GetRawText());
                        }
                        else
                        {
                            CollectText(property.Value, text);
                        }
                    }
                }

                break;
        }
    }
}
