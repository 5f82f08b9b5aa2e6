using Stripe;
using Stripe.Checkout;
using Tollgate.Budgets;

namespace Tollgate.Billing;

/// <summary>
/// Stripe as the payment provider, through Stripe.net: a Checkout Session for each purchase and a
/// Refund for each refund of a card-paid purchase. Each request carries the transaction id as its
/// idempotency key, so a retried call never makes a second session or pays back twice. Used only when
/// <see cref="BillingOptions.Stripe"/> is set.
/// </summary>
internal sealed class StripePayments
{
    /// <summary>The metadata key (on the session, its payment and the refund) naming our transaction.</summary>
    public const string TransactionKey = "tollgate_transaction_id";

    /// <summary>The metadata key naming the org.</summary>
    public const string OrgKey = "tollgate_org_id";

    private readonly StripeOptions _options;
    private readonly StripeClient _client;

    /// <summary>A client for the configured account and API base.</summary>
    public StripePayments(StripeOptions options, IHttpClientFactory httpClients)
    {
        _options = options;
        var http = new SystemNetHttpClient(httpClients.CreateClient("stripe"), maxNetworkRetries: 2);
        _client = options.ApiBase is null
            ? new StripeClient(apiKey: options.SecretKey, httpClient: http)
            : new StripeClient(apiKey: options.SecretKey, httpClient: http, apiBase: options.ApiBase);
    }

    /// <summary>The checkout of a pending purchase: its session id and the URL where the buyer pays.</summary>
    public sealed record Checkout(string SessionId, string Url);

    /// <summary>
    /// Creates a Checkout Session in payment mode for <paramref name="purchase"/>: one line for the
    /// credits and one for the tax when there is any, tied to the transaction by
    /// <c>client_reference_id</c> and metadata.
    /// </summary>
    public async Task<Checkout> CreateCheckoutAsync(TransactionStore.TransactionRow purchase, BillingSnapshot billing, string baseUrl, CancellationToken ct)
    {
        var lines = new List<SessionLineItemOptions>
        {
            Line(_options.ProductName, $"{Money.ToWire(purchase.CreditAmountPico)} USD of prepaid credits", purchase.CreditAmountPico),
        };
        if (purchase.TaxPico > 0)
        {
            lines.Add(Line($"Tax ({Documents.BillingDocument.Percent(billing.AppliedRate)})", null, purchase.TaxPico));
        }

        var metadata = new Dictionary<string, string> { [TransactionKey] = purchase.Id, [OrgKey] = purchase.OrgId };
        var options = new SessionCreateOptions
        {
            Mode = "payment",
            LineItems = lines,
            ClientReferenceId = purchase.Id,
            Metadata = metadata,
            PaymentIntentData = new SessionPaymentIntentDataOptions { Metadata = new Dictionary<string, string>(metadata) },
            CustomerEmail = billing.Buyer.Email,
            SuccessUrl = _options.SuccessUrl ?? $"{baseUrl}/dashboard/orgs/{purchase.OrgId}/transactions?checkout=success&transaction={purchase.Id}",
            CancelUrl = _options.CancelUrl ?? $"{baseUrl}/dashboard/orgs/{purchase.OrgId}/transactions?checkout=cancel&transaction={purchase.Id}",
        };
        var session = await new SessionService(_client).CreateAsync(options, new RequestOptions { IdempotencyKey = purchase.Id }, ct);
        return new Checkout(session.Id, session.Url);
    }

    /// <summary>The refund Stripe made: its id and status (<c>pending</c>, <c>requires_action</c>, <c>succeeded</c>, <c>failed</c>, <c>canceled</c>).</summary>
    public sealed record ProviderRefund(string Id, string Status);

    /// <summary>Refunds <paramref name="refund"/>'s amount of the payment its purchase was paid with.</summary>
    public async Task<ProviderRefund> RefundAsync(TransactionStore.TransactionRow refund, TransactionStore.TransactionRow purchase, CancellationToken ct)
    {
        var options = new RefundCreateOptions
        {
            PaymentIntent = purchase.ProviderPayment,
            Amount = Tax.ToCents(refund.AmountPico),
            Reason = "requested_by_customer",
            Metadata = new Dictionary<string, string> { [TransactionKey] = refund.Id, [OrgKey] = refund.OrgId },
        };
        var created = await new RefundService(_client).CreateAsync(options, new RequestOptions { IdempotencyKey = refund.Id }, ct);
        return new ProviderRefund(created.Id, created.Status);
    }

    private static SessionLineItemOptions Line(string name, string? description, long pico) => new()
    {
        Quantity = 1,
        PriceData = new SessionLineItemPriceDataOptions
        {
            Currency = "usd",
            UnitAmount = Tax.ToCents(pico),
            ProductData = new SessionLineItemPriceDataProductDataOptions { Name = name, Description = description },
        },
    };
}
