using System.Data.Common;
using Dapper;
using Stripe;
using Stripe.Checkout;
using Tollgate.Audit;
using Tollgate.Storage;

namespace Tollgate.Billing;

/// <summary>
/// <c>POST /billing/stripe/webhook</c>: Stripe's signed events complete or fail our pending
/// transactions.
/// <code>
/// (1) verify Stripe-Signature (HMAC-SHA256 over "t.body" with the endpoint secret, t within the tolerance) → else 400, nothing read
/// (2) in one database transaction: record the event id (seen before → 200, nothing done)
/// (3) find the transaction the object names (client_reference_id / metadata) and move it out of pending
/// </code>
/// Events: <c>checkout.session.completed</c> with <c>payment_status</c> <c>paid</c> (or
/// <c>checkout.session.async_payment_succeeded</c>) completes a purchase;
/// <c>checkout.session.expired</c> and <c>checkout.session.async_payment_failed</c> fail it (a declined
/// card inside an open session is not a failure: the buyer may try another). <c>refund.created</c>,
/// <c>refund.updated</c> and <c>refund.failed</c> complete a refund at <c>succeeded</c> and fail it at
/// <c>failed</c> or <c>canceled</c>. Other events are acknowledged and ignored. Each transition is
/// audited in the org's log as <c>transaction.complete</c> or <c>transaction.fail</c> by the system
/// (no member), naming the event.
/// </summary>
internal sealed partial class StripeWebhook(Database database, TimeProvider time, StripeOptions options, AuditLog audit, ILogger<StripeWebhook> log)
{
    /// <summary>The largest body read; Stripe's events are a few kilobytes.</summary>
    private const int MaxBody = 512 * 1024;

    /// <summary>Maps the webhook (no session: Stripe signs instead).</summary>
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/billing/stripe/webhook", (HttpRequest request, StripeWebhook webhook, CancellationToken ct) => webhook.HandleAsync(request, ct));

    private async Task<IResult> HandleAsync(HttpRequest request, CancellationToken ct)
    {
        // :: Step 1: verify before anything is read into the database
        if (request.ContentLength > MaxBody)
        {
            return TypedResults.Problem("The event is too large.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");
        }

        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBody; // a longer body without a length fails while it is read
        }

        string json;
        using (var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8))
        {
            json = await reader.ReadToEndAsync(ct);
        }

        Event stripeEvent;
        try
        {
            // The event's api_version is the account's, which need not be the one this Stripe.net was
            // built for; only fields stable across versions are read, so a mismatch is no error.
            stripeEvent = EventUtility.ConstructEvent(
                json, request.Headers["Stripe-Signature"].ToString(), options.WebhookSecret, options.WebhookToleranceSeconds,
                time.GetUtcNow().ToUnixTimeSeconds(), throwOnApiVersionMismatch: false);
        }
        catch (StripeException e)
        {
            LogRejected(log, e.Message);
            return TypedResults.Problem("The Stripe-Signature header does not verify: " + e.Message, statusCode: StatusCodes.Status400BadRequest, title: "Bad signature");
        }
        catch (System.Text.Json.JsonException)
        {
            return TypedResults.Problem("The event is not JSON.", statusCode: StatusCodes.Status400BadRequest, title: "Bad event");
        }
        catch (Newtonsoft.Json.JsonException)
        {
            return TypedResults.Problem("The event is not JSON.", statusCode: StatusCodes.Status400BadRequest, title: "Bad event");
        }

        // :: Step 2: once per event id, in the same database transaction as its effect
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var fresh = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO payment_events (id, type, received_at) VALUES (@id, @type, @now) ON CONFLICT (id) DO NOTHING",
            new { id = stripeEvent.Id, type = stripeEvent.Type, now }, tx, cancellationToken: ct));
        if (fresh == 0)
        {
            await tx.CommitAsync(ct);
            return TypedResults.Ok(new WebhookAnswer(true, "duplicate"));
        }

        // :: Step 3: the transition, guarded by the transaction's state
        var (outcome, row, number) = stripeEvent.Data.Object switch
        {
            Session session => await OnSessionAsync(connection, tx, stripeEvent.Type, session, now),
            Refund refund => await OnRefundAsync(connection, tx, refund, now),
            _ => new Handled("ignored"),
        };
        if (row is not null && outcome is "completed" or "failed")
        {
            await audit.RecordAsync(connection, tx, row.OrgId, new AuditActor(null, null),
                outcome == "completed" ? "transaction.complete" : "transaction.fail", new AuditTarget("transaction", row.Id),
                new { status = "pending" }, new { status = outcome, documentNumber = number, provider = "stripe", eventId = stripeEvent.Id, eventType = stripeEvent.Type },
                null, ct);
        }

        await tx.CommitAsync(ct);
        LogHandled(log, stripeEvent.Id, stripeEvent.Type, outcome);
        return TypedResults.Ok(new WebhookAnswer(true, outcome));
    }

    /// <summary>The webhook's answer: <c>outcome</c> is <c>completed</c>, <c>failed</c>, <c>unchanged</c>, <c>ignored</c> or <c>duplicate</c>.</summary>
    internal sealed record WebhookAnswer(bool Received, string Outcome);

    /// <summary>What an event did: the outcome, the transaction it moved (when it moved one) and the document number it took.</summary>
    private readonly record struct Handled(string Outcome, TransactionStore.TransactionRow? Row = null, string? Number = null);

    private async Task<Handled> OnSessionAsync(DbConnection connection, DbTransaction tx, string type, Session session, long now)
    {
        var id = session.ClientReferenceId ?? session.Metadata?.GetValueOrDefault(StripePayments.TransactionKey);
        var row = await FindAsync(connection, tx, id, session.Id);
        if (row is null || row.Type != "credit_purchase")
        {
            return new Handled("ignored");
        }

        switch (type)
        {
            case "checkout.session.completed" when session.PaymentStatus is "paid" or "no_payment_required":
            case "checkout.session.async_payment_succeeded":
                // The session must be the one made for this purchase, for its whole amount in its currency.
                if ((row.ProviderRef is not null && row.ProviderRef != session.Id)
                    || session.AmountTotal != Tax.ToCents(row.AmountPico)
                    || !string.Equals(session.Currency, row.Currency, StringComparison.OrdinalIgnoreCase))
                {
                    LogMismatch(log, row.Id, session.Id);
                    return new Handled("ignored");
                }

                return await CompleteAsync(connection, tx, row, now, session.PaymentIntentId);
            case "checkout.session.completed":
                return new Handled("unchanged"); // paid later: async_payment_succeeded or async_payment_failed follows
            case "checkout.session.expired":
                return await FailAsync(connection, tx, row, now, "The checkout session expired unpaid.");
            case "checkout.session.async_payment_failed":
                return await FailAsync(connection, tx, row, now, "The payment failed.");
            default:
                return new Handled("ignored");
        }
    }

    private async Task<Handled> OnRefundAsync(DbConnection connection, DbTransaction tx, Refund refund, long now)
    {
        var row = await FindAsync(connection, tx, refund.Metadata?.GetValueOrDefault(StripePayments.TransactionKey), refund.Id);
        if (row is null || row.Type != "refund" || refund.Amount != Tax.ToCents(row.AmountPico))
        {
            return new Handled("ignored");
        }

        return refund.Status switch
        {
            "succeeded" => await CompleteAsync(connection, tx, row, now, null),
            "failed" or "canceled" => await FailAsync(connection, tx, row, now, $"Stripe refund {refund.Status}: {refund.FailureReason}"),
            _ => new Handled("unchanged"),
        };
    }

    private static async Task<Handled> CompleteAsync(DbConnection connection, DbTransaction tx, TransactionStore.TransactionRow row, long now, string? payment) =>
        await TransactionTransitions.CompleteAsync(connection, tx, row, now, payment) is { } number ? new Handled("completed", row, number) : new Handled("unchanged");

    private static async Task<Handled> FailAsync(DbConnection connection, DbTransaction tx, TransactionStore.TransactionRow row, long now, string reason) =>
        await TransactionTransitions.FailAsync(connection, tx, row, now, reason) ? new Handled("failed", row) : new Handled("unchanged");

    // By our id when the object carries it, else by the provider's object id.
    private static Task<TransactionStore.TransactionRow?> FindAsync(DbConnection connection, DbTransaction tx, string? transactionId, string providerRef) =>
        connection.QuerySingleOrDefaultAsync<TransactionStore.TransactionRow?>(
            transactionId is not null
                ? $"SELECT {TransactionStore.Columns} FROM transactions WHERE id = @transactionId AND provider = 'stripe'"
                : $"SELECT {TransactionStore.Columns} FROM transactions WHERE provider_ref = @providerRef AND provider = 'stripe'",
            new { transactionId, providerRef }, tx);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe webhook rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({Type}): {Outcome}")]
    private static partial void LogHandled(ILogger logger, string eventId, string type, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe session {SessionId} does not match transaction {TransactionId} (session, amount or currency); not completed")]
    private static partial void LogMismatch(ILogger logger, string transactionId, string sessionId);
}
