using System.Globalization;
using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Hosting;

namespace Tollgate.Gateway.Endpoints.Usage;

/// <summary>
/// Other services that share member budgets (api.md "Other services"): authorize before creating a
/// time-billed resource, then report metered usage. Charges count toward the member and the org
/// (its credits, in credits mode), never toward the calling key's budget.
/// </summary>
internal static class UsageEndpoints
{
    /// <summary>Maps <c>POST /v1/usage/authorize</c>, <c>POST /v1/usage/events</c> and <c>GET /v1/key</c>.</summary>
    public static IEndpointRouteBuilder MapUsageEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/usage/authorize", AuthorizeAsync)
            .Accepts<UsageAuthorizeRequest>("application/json").Produces<UsageAuthorized>();
        app.MapPost("/v1/usage/events", EventsAsync)
            .Accepts<UsageEventRequest>("application/json").Produces<UsageEventRecorded>();
        app.MapGet("/v1/key", OwnKeyAsync).Produces<KeyUsageResponse>();
        return app;
    }

    private static async Task AuthorizeAsync(HttpContext context, ApiKeyAuthenticator authenticator, BudgetEngine engine)
    {
        var (identity, body) = await ReadAsync(context, authenticator);
        if (identity is null || body is null)
        {
            return;
        }

        using (body)
        {
            var root = body.RootElement;
            var service = Text(root, "service");
            var estimate = Amount(root, "estimatedCost");
            if (service is null || estimate is null)
            {
                await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.BadRequest("invalid_request",
                    service is null ? "'service' is required: the name of the service asking (gpu, sandbox, ...)." : "'estimatedCost' must be a non-negative decimal amount in USD.",
                    service is null ? "service" : "estimatedCost"));
                return;
            }

            var denial = await engine.CheckMemberAsync(identity, estimate.Value, context.RequestAborted);
            if (denial is not null)
            {
                await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.FromDenial(denial));
                return;
            }

            await TypedResults.Ok(new UsageAuthorized(true, service, Money.ToWire(estimate.Value))).ExecuteAsync(context);
        }
    }

    private static async Task EventsAsync(HttpContext context, ApiKeyAuthenticator authenticator, BudgetEngine engine, TimeProvider time)
    {
        var (identity, body) = await ReadAsync(context, authenticator);
        if (identity is null || body is null)
        {
            return;
        }

        using (body)
        {
            var root = body.RootElement;
            var service = Text(root, "service");
            var cost = Amount(root, "cost");
            var idempotencyKey = Text(root, "idempotencyKey");
            var description = Text(root, "description");
            DateTimeOffset? occurredAt = Text(root, "occurredAt") is { } at && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
            var problem = service is null ? ("service", "'service' is required.")
                : service == "llm" ? ("service", "'llm' is the gateway's own service; report another service name.")
                : cost is null ? ("cost", "'cost' must be a non-negative decimal amount in USD.")
                : idempotencyKey is null ? ("idempotencyKey", "'idempotencyKey' is required, so that a retried report is charged once.")
                : occurredAt is null ? ("occurredAt", "'occurredAt' must be an ISO 8601 time.")
                : Tollgate.Operations.UsageEventBounds.Check(idempotencyKey, occurredAt.Value, time.GetUtcNow()) is { } outOfBounds ? outOfBounds
                : ((string, string)?)null;
            if (problem is { } p)
            {
                await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.BadRequest("invalid_request", p.Item2, p.Item1));
                return;
            }

            var now = time.GetUtcNow();
            var entry = new LedgerEntry
            {
                Id = Ids.New("led", time),
                // Unique per org and idempotency key: a repeated report hits the ledger's (request_id, attempt) key.
                RequestId = $"evt:{identity.OrgId}:{idempotencyKey}",
                Attempt = 1,
                OrgId = identity.OrgId,
                ProjectId = identity.ProjectId,
                MemberId = identity.MemberId,
                KeyId = identity.KeyId,
                Service = service!,
                Endpoint = "usage.events",
                Model = description ?? "",
                Provider = service!,
                ProviderModel = "",
                Status = LedgerStatus.Ok,
                HttpStatus = 200,
                CostPico = cost!.Value,
                StartedAt = occurredAt!.Value,
                EndedAt = now,
            };
            var charged = await engine.ChargeEventAsync(entry, context.RequestAborted);
            await TypedResults.Ok(new UsageEventRecorded(charged, !charged, service!, Money.ToWire(cost.Value), idempotencyKey!)).ExecuteAsync(context);
        }
    }

    /// <summary><c>GET /v1/key</c>: the calling key's own usage document (api.md "Key usage document").</summary>
    private static async Task OwnKeyAsync(HttpContext context, ApiKeyAuthenticator authenticator, BudgetEngine engine)
    {
        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        if (auth.Identity is not { } identity)
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.FromAuth(auth));
            return;
        }

        var result = await BudgetsApi.KeyUsageAsync(identity.KeyId, identity.KeyName, identity.MemberId, engine, context.RequestAborted);
        await result.ExecuteAsync(context);
    }

    private static async Task<(KeyIdentity? Identity, JsonDocument? Body)> ReadAsync(HttpContext context, ApiKeyAuthenticator authenticator)
    {
        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        if (auth.Identity is null)
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.FromAuth(auth));
            return (null, null);
        }

        var (body, _, error) = await RequestBodyReader.ReadJsonObjectAsync(context.Request, 64 * 1024, context.RequestAborted);
        if (body is null)
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, error!);
            return (null, null);
        }

        return (auth.Identity, JsonDocument.Parse(body.ToJsonString()));
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()) ? v.GetString() : null;

    private static long? Amount(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && Money.TryRead(v, out var pico, out _) ? pico : null;
}

/// <summary><c>POST /v1/usage/authorize</c>: may the calling key's member spend <c>estimatedCost</c> (USD decimal string) on <c>service</c>.</summary>
internal sealed record UsageAuthorizeRequest(string Service, string EstimatedCost);

/// <summary>200 from <c>POST /v1/usage/authorize</c>: every cap has room for the estimate.</summary>
internal sealed record UsageAuthorized(bool Authorized, string Service, string EstimatedCost);

/// <summary>
/// <c>POST /v1/usage/events</c>: metered cost (USD decimal string) of <c>service</c>, counted once per
/// <c>idempotencyKey</c> (at most 200 characters); <c>occurredAt</c> within the last 31 days.
/// </summary>
internal sealed record UsageEventRequest(string Service, string Cost, string IdempotencyKey, string? OccurredAt, string? Description);

/// <summary>200 from <c>POST /v1/usage/events</c>: <c>charged</c>, or a <c>duplicate</c> of an event already counted.</summary>
internal sealed record UsageEventRecorded(bool Charged, bool Duplicate, string Service, string Cost, string IdempotencyKey);
