using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Billing.Documents;
using Tollgate.Budgets;

namespace Tollgate.Billing;

/// <summary>
/// What the API's credits and transactions endpoints do, once, for the API and the dashboard:
/// who may, the input's errors, and the action, answered as an <see cref="Outcome{T}"/> carrying the
/// API's exact problem. The endpoints only read the request body and turn the outcome into a response.
/// </summary>
internal sealed class BillingActions(TransactionStore transactions, Refunds refunds, BudgetEngine engine, IServiceProvider services)
{
    private const string ViewForbidden = "Only owners, admins and billing members can see the org's credits and transactions.";
    private const string GrantForbidden = "Only owners and admins can grant credits on a server without a payment provider.";
    private const string BuyForbidden = "Only owners, admins and billing members can buy credits.";
    private const string DocumentForbidden = "Only owners, admins and billing members can refund transactions and download invoices.";
    private const int MaxReasonLength = 500;

    /// <summary>A refund made: its row, and why it is still pending when the provider gave no answer.</summary>
    public sealed record RefundMade(TransactionStore.TransactionRow Row, string? PendingBecause);

    /// <summary>An invoice or credit note: the PDF and its file name.</summary>
    public sealed record DocumentFile(byte[] Pdf, string FileName);

    private StripePayments? Stripe => services.GetService<StripePayments>();

    /// <summary>True when purchases are paid by card (Stripe is configured); false: a purchase is the owner's or admin's grant.</summary>
    public bool CardPayments => Stripe is not null;

    /// <summary>Whether the member sees the org's credits and transactions.</summary>
    public static bool SeesBilling(OrgMember member) => RolePolicy.Can(member.Role, Capability.ManageBilling);

    /// <summary>Whether the member may buy credits: by card with billing rights; the grant (no payment provider) also takes the org's settings.</summary>
    public bool MayPurchase(OrgMember member) =>
        SeesBilling(member) && (CardPayments || RolePolicy.Can(member.Role, Capability.ManageOrgSettings));

    /// <summary>The org's credits (<c>GET /orgs/{orgId}/credits</c>).</summary>
    public async Task<Outcome<CreditsView>> CreditsAsync(OrgMember member, CancellationToken ct)
    {
        if (!SeesBilling(member))
        {
            return AccountProblems.Forbidden(ViewForbidden);
        }

        return await engine.ViewCreditsAsync(member.OrgId, ct);
    }

    /// <summary>One page of transactions, newest first, with the list's query strings as the API reads them.</summary>
    public async Task<Outcome<(IReadOnlyList<TransactionStore.TransactionRow> Rows, Paging Paging)>> ListAsync(
        OrgMember member, string? limit, string? cursor, string? type, string? status, string? from, string? to, CancellationToken ct)
    {
        if (!SeesBilling(member))
        {
            return AccountProblems.Forbidden(ViewForbidden);
        }

        if (!Paging.TryParse(limit, cursor, out var paging, out var error))
        {
            return AccountProblems.Validation("limit", error!);
        }

        if (TransactionFilters.Read(cursor, type, status, from, to, out var filter) is { } invalid)
        {
            return AccountProblems.Validation(invalid);
        }

        return (await transactions.ListAsync(member.OrgId, filter, paging, ct), paging);
    }

    /// <summary>
    /// A purchase of the body's <c>amount</c>: with Stripe a pending purchase with its checkout URL
    /// (<paramref name="baseUrl"/> is where Checkout sends the buyer back); without, the grant, completed at once.
    /// </summary>
    public async Task<Outcome<TransactionStore.TransactionRow>> PurchaseAsync(
        OrgMember member, RequestAudit audit, JsonElement body, string baseUrl, CancellationToken ct)
    {
        var stripe = Stripe;
        if (!MayPurchase(member))
        {
            return AccountProblems.Forbidden(stripe is null ? GrantForbidden : BuyForbidden);
        }

        if (BillingApi.ReadAmount(body, out var amount) is { } problem)
        {
            return AccountProblems.Validation("amount", problem);
        }

        if (stripe is null)
        {
            return await transactions.GrantAsync(audit, amount, ct);
        }

        if (!Tax.IsWholeCents(amount))
        {
            return AccountProblems.Validation("amount", "amount must be whole cents when paid by card, such as \"12.50\".");
        }

        // :: The pending purchase first, so the checkout can name it; a provider error fails it.
        var row = await transactions.CreatePendingPurchaseAsync(audit, amount, "stripe", ct);
        StripePayments.Checkout checkout;
        try
        {
            checkout = await stripe.CreateCheckoutAsync(row, BillingSnapshot.FromJson(row.BillingJson!), baseUrl, ct);
        }
        catch (Exception e) when (e is global::Stripe.StripeException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // Even if Stripe made a session, the buyer never got its URL: the purchase is failed, and a webhook completes nothing.
            await transactions.SettleAsync(row, fail: true, "Stripe did not create the checkout: " + e.Message, CancellationToken.None);
            return BillingApi.ProviderFailed("Stripe did not create the checkout: " + e.Message);
        }

        return await transactions.SetCheckoutAsync(row, checkout.SessionId, checkout.Url, ct);
    }

    /// <summary>
    /// A refund of the purchase <paramref name="purchaseId"/> from the body's <c>amount</c> (optional:
    /// all that is left), <c>reason</c> and <c>allowNegativeBalance</c>. A card-paid purchase is paid
    /// back through Stripe; its refund completes when Stripe says it succeeded (now, or by webhook).
    /// </summary>
    public async Task<Outcome<RefundMade>> RefundAsync(OrgMember member, RequestAudit audit, string purchaseId, JsonElement body, CancellationToken ct)
    {
        if (!SeesBilling(member))
        {
            return AccountProblems.Forbidden(DocumentForbidden);
        }

        var (request, errors) = ReadRefund(body, purchaseId);
        if (request is null)
        {
            return AccountProblems.Validation(errors!);
        }

        var outcome = await refunds.CreateAsync(audit, request, ct);
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
        if (refund.Provider == "stripe" && Stripe is { } stripe)
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
            catch (global::Stripe.StripeException e) when (e.StripeError is not null)
            {
                // Stripe answered no: nothing was paid back.
                await transactions.SettleAsync(refund, fail: true, "Stripe refused the refund: " + e.Message, CancellationToken.None);
                return BillingApi.ProviderFailed("Stripe refused the refund: " + e.Message);
            }
            catch (Exception e) when (e is global::Stripe.StripeException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // No answer: Stripe may have made the refund (the retry with the same idempotency key
                // would say). It stays pending, holding its amount, until refund.* webhooks settle it.
                var pending = await transactions.GetAsync(member.OrgId, refund.Id, CancellationToken.None);
                return new RefundMade(pending!, "Stripe did not answer: " + e.Message);
            }
        }

        return new RefundMade((await transactions.GetAsync(member.OrgId, refund.Id, ct))!, null);
    }

    /// <summary>The invoice (purchase, subscription) or credit note (refund) of a completed transaction, as a PDF.</summary>
    public async Task<Outcome<DocumentFile>> DocumentAsync(OrgMember member, string transactionId, CancellationToken ct)
    {
        if (!SeesBilling(member))
        {
            return AccountProblems.Forbidden(DocumentForbidden);
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

        if (!HasDocument(row))
        {
            return AccountProblems.Conflict("This transaction has no invoice or credit note.");
        }

        var purchase = row.RelatedTransactionId is { } related ? await transactions.GetAsync(member.OrgId, related, ct) : null;
        var document = BillingDocument.For(row, purchase);
        return new DocumentFile(InvoicePdf.Render(document), document.FileName);
    }

    /// <summary>Whether a transaction has an invoice or credit note to download (completed, numbered, of a documented type).</summary>
    public static bool HasDocument(TransactionStore.TransactionRow row) =>
        row.Status == "completed" && row.DocumentNumber is not null && row.Type is "credit_purchase" or "subscription" or "refund";

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Conflict(string detail, string code, RefundOutcome outcome) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict", extensions: new Dictionary<string, object?>
        {
            ["code"] = code,
            ["refundable"] = Money.ToWire(Math.Max(0, outcome.LeftPico)),
            ["balance"] = Money.ToWire(outcome.BalancePico),
        });

    private static (RefundRequest?, Dictionary<string, string[]>?) ReadRefund(JsonElement root, string purchaseId)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, new() { ["reason"] = ["The body must be a JSON object with reason and, optionally, amount and allowNegativeBalance."] });
        }

        var errors = new Dictionary<string, string[]>();
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
