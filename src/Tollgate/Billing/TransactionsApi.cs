using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Billing.Documents;
using Tollgate.Budgets;

namespace Tollgate.Billing;

/// <summary>
/// One transaction's refund and document:
/// <code>
/// POST /orgs/{orgId}/transactions/{transactionId}/refund {amount?, reason, allowNegativeBalance?}   owner, admin, billing; audited
/// GET  /orgs/{orgId}/transactions/{transactionId}/invoice                                         owner, admin, billing
/// </code>
/// A refund of a card-paid purchase goes to Stripe and completes when Stripe says it succeeded (in
/// its answer, or later by webhook); a refund of a grant completes at once. When Stripe gives no
/// answer at all the refund stays pending (202) and its webhook settles it.
/// </summary>
internal static class TransactionsApi
{
    private const string Forbidden = "Only owners, admins and billing members can refund transactions and download invoices.";
    private const int MaxReasonLength = 500;

    /// <summary>Maps the endpoints on the org group.</summary>
    public static void Map(RouteGroupBuilder org)
    {
        org.MapPost("/transactions/{transactionId}/refund", RefundAsync);
        org.MapGet("/transactions/{transactionId}/invoice", InvoiceAsync);
    }

    private static async Task<IResult> RefundAsync(
        string transactionId, HttpRequest request, OrgMember member, RequestAudit audit, Refunds refunds, TransactionStore transactions,
        IServiceProvider services, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageBilling))
        {
            return AccountProblems.Forbidden(Forbidden);
        }

        var (refundRequest, errors) = await ReadAsync(request, transactionId, ct);
        if (refundRequest is null)
        {
            return AccountProblems.Validation(errors!);
        }

        var outcome = await refunds.CreateAsync(audit, refundRequest, ct);
        switch (outcome.Refusal)
        {
            case RefundRefusal.NotFound:
                return AccountProblems.NotFound("The org has no transaction with that id.");
            case RefundRefusal.NotRefundable:
                return AccountProblems.Conflict("Only a completed credit purchase can be refunded.");
            case RefundRefusal.MoreThanLeft:
                return Conflict(
                    outcome.LeftPico <= 0 ? "The purchase is already refunded in full." : $"At most {Money.ToWire(outcome.LeftPico)} USD is left to refund of this purchase.",
                    "refund_exceeds_remaining", outcome);
            case RefundRefusal.BelowSpent:
                return Conflict(
                    $"The refund would take back more credits than the org has left ({Money.ToWire(outcome.BalancePico)} USD): they were already spent. " +
                    "Send allowNegativeBalance: true to refund anyway and leave the balance negative.",
                    "balance_below_spent", outcome);
            case RefundRefusal.NotWholeCents:
                return AccountProblems.Validation("amount", "amount must be whole cents for a purchase paid by card, such as \"12.50\".");
        }

        var refund = outcome.Refund!;
        if (refund.Provider == "stripe" && services.GetService<StripePayments>() is { } stripe)
        {
            // The refund row is committed first, holding its amount against concurrent refunds; Stripe's
            // answer then completes it, fails it (credits given back), or leaves it to the webhook.
            try
            {
                var made = await stripe.RefundAsync(refund, outcome.Purchase!, ct);
                await transactions.SetProviderRefAsync(refund.Id, made.Id, ct);
                if (made.Status is "succeeded" or "failed" or "canceled")
                {
                    await transactions.SettleAsync(refund, fail: made.Status != "succeeded", $"Stripe refund {made.Status}.", ct);
                }
            }
            catch (Stripe.StripeException e) when (e.StripeError is not null)
            {
                // Stripe answered no: nothing was paid back.
                await transactions.SettleAsync(refund, fail: true, "Stripe refused the refund: " + e.Message, CancellationToken.None);
                return BillingApi.ProviderFailed("Stripe refused the refund: " + e.Message);
            }
            catch (Exception e) when (e is Stripe.StripeException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // No answer: Stripe may have made the refund (the retry with the same idempotency key
                // would say). It stays pending, holding its amount, until refund.* webhooks settle it.
                var pending = await transactions.GetAsync(member.OrgId, refund.Id, CancellationToken.None);
                return TypedResults.Json(BillingApi.ToResponse(pending!) with { Reason = "Stripe did not answer: " + e.Message }, statusCode: StatusCodes.Status202Accepted);
            }
        }

        var row = await transactions.GetAsync(member.OrgId, refund.Id, ct);
        return TypedResults.Created($"/orgs/{member.OrgId}/transactions/{refund.Id}", BillingApi.ToResponse(row!));
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Conflict(string detail, string code, RefundOutcome outcome) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict", extensions: new Dictionary<string, object?>
        {
            ["code"] = code,
            ["refundable"] = Money.ToWire(Math.Max(0, outcome.LeftPico)),
            ["balance"] = Money.ToWire(outcome.BalancePico),
        });

    private static async Task<(RefundRequest?, Dictionary<string, string[]>?)> ReadAsync(HttpRequest request, string purchaseId, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (JsonException)
        {
            return (null, new() { ["reason"] = ["The body must be a JSON object with reason and, optionally, amount and allowNegativeBalance."] });
        }

        using (body)
        {
            var root = body.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, new() { ["reason"] = ["The body must be a JSON object with reason and, optionally, amount and allowNegativeBalance."] });
            }

            long? amount = null;
            if (root.TryGetProperty("amount", out var value) && value.ValueKind != JsonValueKind.Null)
            {
                if (BillingApi.ReadAmount(root, out var pico) is { } problem)
                {
                    errors["amount"] = [problem];
                }

                amount = pico;
            }

            string? reason = null;
            if (!root.TryGetProperty("reason", out var reasonValue) || reasonValue.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(reasonValue.GetString()))
            {
                errors["reason"] = ["reason is required: why the money is paid back."];
            }
            else if (reasonValue.GetString()!.Length > MaxReasonLength)
            {
                errors["reason"] = [$"reason must be at most {MaxReasonLength} characters."];
            }
            else
            {
                reason = reasonValue.GetString()!.Trim();
            }

            var allowNegative = false;
            if (root.TryGetProperty("allowNegativeBalance", out var allow) && allow.ValueKind != JsonValueKind.Null)
            {
                if (allow.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors["allowNegativeBalance"] = ["allowNegativeBalance must be true or false."];
                }
                else
                {
                    allowNegative = allow.GetBoolean();
                }
            }

            return errors.Count > 0 ? (null, errors) : (new RefundRequest(purchaseId, amount, reason!, allowNegative), null);
        }
    }

    private static async Task<IResult> InvoiceAsync(string transactionId, HttpContext http, OrgMember member, TransactionStore transactions, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageBilling))
        {
            return AccountProblems.Forbidden(Forbidden);
        }

        var row = await transactions.GetAsync(member.OrgId, transactionId, ct);
        if (row is null)
        {
            return AccountProblems.NotFound("The org has no transaction with that id.");
        }

        if (row.Status != "completed")
        {
            return AccountProblems.Conflict($"The transaction is {row.Status}: an invoice or credit note is issued when it completes.");
        }

        if (row.DocumentNumber is null || row.Type is not ("credit_purchase" or "subscription" or "refund"))
        {
            return AccountProblems.Conflict("This transaction has no invoice or credit note.");
        }

        var purchase = row.RelatedTransactionId is { } related ? await transactions.GetAsync(member.OrgId, related, ct) : null;
        var document = BillingDocument.For(row, purchase);
        var bytes = InvoicePdf.Render(document);
        http.Response.Headers.ContentDisposition = "attachment; filename=" + document.FileName;
        return TypedResults.Bytes(bytes, "application/pdf");
    }
}
