using System.Text;
using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Translation;
using Tollgate.Hosting;
using Tollgate.Providers;

namespace Tollgate.Gateway.Endpoints.Responses;

/// <summary>
/// <c>POST /v1/responses</c>: OpenAI Responses in and out, passed through to OpenAI; a response made
/// with <c>store</c> (the default) is kept for <c>GET /v1/responses/{id}</c>, readable only by the org
/// that made it and never billed.
/// </summary>
internal sealed class ResponsesEndpoint(ResponseStore store, ChatFormats formats, TimeProvider time) : IGatewayEndpoint
{
    /// <inheritdoc />
    public string Name => "responses";

    /// <inheritdoc />
    public string ModelKind => "chat";

    /// <inheritdoc />
    public ErrorFormat Errors => OpenAIErrorFormat.Instance;

    /// <inheritdoc />
    public (IGatewayRequest? Request, GatewayError? Error) Parse(byte[] body, HttpRequest http) => ResponsesRequest.From(body);

    /// <inheritdoc />
    public async ValueTask<GatewayError?> PrepareAsync(IGatewayRequest request, KeyIdentity identity, CancellationToken cancellationToken)
    {
        var responses = (ResponsesRequest)request;
        if (responses.PreviousResponseId is not { } id)
        {
            return null;
        }

        // A stored conversation is rebuilt for providers that keep none; one not stored here may still be
        // known to a provider that keeps its own (OpenAI), so only translation refuses it (and a stored one
        // that cannot be rebuilt, likewise).
        if (await store.FindAsync(identity.OrgId, id, cancellationToken).ConfigureAwait(false) is { } previous)
        {
            (responses.Expanded, responses.HistoryError) = ConversationHistory.Expand(responses.Raw, previous);
        }

        return null;
    }

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request)
    {
        var responses = (ResponsesRequest)request;
        if (candidate.Endpoint.SpeaksResponses && candidate.Model.Kind == Catalog.ModelKinds.Chat)
        {
            return new ResponsesPassthrough(responses);
        }

        return formats.Translate(candidate, responses.Turn(formats.Responses), formats.Responses, Errors,
            error => StreamFailure(error, null, responses.ModelName, 0));
    }

    /// <inheritdoc />
    public async ValueTask OnAnsweredAsync(GatewayCall call, IUpstreamExchange exchange, CancellationToken cancellationToken)
    {
        var request = (ResponsesRequest)call.Request;
        if (!request.Store || Final(exchange) is not ({ } id, { } response))
        {
            return;
        }

        await store.SaveAsync(new StoredResponse(id, call.Identity.OrgId, call.Identity.KeyId, request.ModelName,
            call.Provider, time.GetUtcNow().ToUnixTimeMilliseconds(),
            Encoding.UTF8.GetString(request.Expanded ?? request.Raw), Encoding.UTF8.GetString(response)), cancellationToken).ConfigureAwait(false);
    }

    // The final response object and its id: as the provider sent it (passthrough), or as the gateway wrote it (translated).
    private static (string? Id, byte[]? Response) Final(IUpstreamExchange exchange) => exchange switch
    {
        ResponsesPassthrough passthrough => (passthrough.ResponseId, passthrough.FinalResponse),
        TranslatingExchange translated => ResponseOf(translated.ClientAnswer),
        _ => (null, null),
    };

    private static (string? Id, byte[]? Response) ResponseOf(byte[]? answer)
    {
        if (answer is null)
        {
            return (null, null);
        }

        var info = Providers.OpenAI.ResponsesUsageReader.Inspect(answer);
        return info.ResponseLength > 0
            ? (info.Id, answer.AsSpan(info.ResponseStart, info.ResponseLength).ToArray()) // the completed event of a stream
            : (info.Id, answer);
    }

    /// <summary><c>GET /v1/responses/{id}</c>: a stored response of the caller's org; 404 for any other id.</summary>
    public static async Task GetAsync(string id, HttpContext context, ApiKeyAuthenticator authenticator, ResponseStore store)
    {
        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        if (auth.Identity is not { } identity)
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.FromAuth(auth));
            return;
        }

        if (await store.FindAsync(identity.OrgId, id, context.RequestAborted) is not { } stored)
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, new GatewayError(StatusCodes.Status404NotFound, "invalid_request_error",
                "response_not_found", $"No response with id '{id}' was found.", "id"));
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(stored.ResponseJson, context.RequestAborted);
    }

    /// <summary>
    /// <c>event: response.failed</c> with the response at status <c>failed</c> and <c>error: {code, message}</c>
    /// (gateway.md, "Failure mid-stream"), numbered after the last event relayed.
    /// </summary>
    public static byte[] StreamFailure(GatewayError error, string? responseId, string model, long sequenceNumber)
    {
        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "response.failed");
            writer.WriteNumber("sequence_number", Math.Max(0, sequenceNumber));
            writer.WriteStartObject("response");
            writer.WriteString("id", responseId ?? Ids.New("resp"));
            writer.WriteString("object", "response");
            writer.WriteString("status", "failed");
            writer.WriteString("model", model);
            writer.WriteStartArray("output");
            writer.WriteEndArray();
            writer.WriteStartObject("error");
            writer.WriteString("code", error.Code);
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
            writer.WriteNull("usage");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return [.. "event: response.failed\ndata: "u8, .. buffer.ToArray(), .. "\n\n"u8];
    }
}
