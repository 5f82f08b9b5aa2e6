namespace Tollgate.Billing;

/// <summary>
/// Billing settings, read once from configuration (<c>Tollgate:Billing:*</c>). Stripe is the payment
/// provider when its secret key is set; without it a purchase is the self-hosted grant.
/// </summary>
/// <param name="Stripe">Stripe's settings; null when no payment provider is configured.</param>
/// <param name="Seller">Who issues the invoices and credit notes.</param>
internal sealed record BillingOptions(StripeOptions? Stripe, SellerDetails Seller)
{
    /// <summary>Reads and validates the settings; a bad value fails start-up with a message naming the key.</summary>
    public static BillingOptions FromConfiguration(IConfiguration configuration)
    {
        var stripe = configuration.GetSection("Tollgate:Billing:Stripe");
        StripeOptions? options = null;
        if (!string.IsNullOrWhiteSpace(stripe["SecretKey"]))
        {
            var webhookSecret = stripe["WebhookSecret"];
            if (string.IsNullOrWhiteSpace(webhookSecret))
            {
                throw new InvalidOperationException("Tollgate:Billing:Stripe:WebhookSecret is required when Tollgate:Billing:Stripe:SecretKey is set: without it no purchase could ever complete.");
            }

            var tolerance = stripe.GetValue("WebhookToleranceSeconds", 300L);
            if (tolerance <= 0)
            {
                throw new InvalidOperationException($"Tollgate:Billing:Stripe:WebhookToleranceSeconds must be positive, not {tolerance}.");
            }

            var apiBase = stripe["ApiBase"];
            if (!string.IsNullOrWhiteSpace(apiBase) && !Uri.TryCreate(apiBase, UriKind.Absolute, out _))
            {
                throw new InvalidOperationException($"Tollgate:Billing:Stripe:ApiBase must be an absolute URL, not '{apiBase}'.");
            }

            options = new StripeOptions(
                stripe["SecretKey"]!.Trim(),
                webhookSecret.Trim(),
                string.IsNullOrWhiteSpace(apiBase) ? null : apiBase.TrimEnd('/'),
                NullIfBlank(stripe["SuccessUrl"]),
                NullIfBlank(stripe["CancelUrl"]),
                tolerance,
                NullIfBlank(stripe["ProductName"]) ?? "Tollgate credits");
        }

        var seller = configuration.GetSection("Tollgate:Billing:Seller");
        return new BillingOptions(options, new SellerDetails(
            NullIfBlank(seller["Name"]) ?? "Tollgate",
            NullIfBlank(seller["Address"]),
            NullIfBlank(seller["TaxId"]),
            NullIfBlank(seller["Email"]),
            NullIfBlank(seller["Country"])));
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>Stripe as the payment provider (<c>Tollgate:Billing:Stripe:*</c>).</summary>
/// <param name="SecretKey"><c>SecretKey</c>: the API key requests are sent with.</param>
/// <param name="WebhookSecret"><c>WebhookSecret</c>: the endpoint's signing secret (<c>whsec_...</c>).</param>
/// <param name="ApiBase"><c>ApiBase</c>: where Stripe's API is (default Stripe's own); tests point it at a local fake.</param>
/// <param name="SuccessUrl"><c>SuccessUrl</c>: where Checkout sends the buyer after paying; default the org's Transactions page of the dashboard with <c>?checkout=success</c>.</param>
/// <param name="CancelUrl"><c>CancelUrl</c>: where Checkout sends a buyer who gives up; the same with <c>?checkout=cancel</c>.</param>
/// <param name="WebhookToleranceSeconds"><c>WebhookToleranceSeconds</c> (default 300): how old a signed event may be.</param>
/// <param name="ProductName"><c>ProductName</c> (default "Tollgate credits"): the line item's name on the Checkout page.</param>
internal sealed record StripeOptions(
    string SecretKey, string WebhookSecret, string? ApiBase, string? SuccessUrl, string? CancelUrl, long WebhookToleranceSeconds, string ProductName);

/// <summary>The seller printed on every document (<c>Tollgate:Billing:Seller:*</c>).</summary>
/// <param name="Name"><c>Name</c> (default "Tollgate").</param>
/// <param name="Address"><c>Address</c>; new lines as written.</param>
/// <param name="TaxId"><c>TaxId</c>: the seller's VAT or tax number.</param>
/// <param name="Email"><c>Email</c>.</param>
/// <param name="Country"><c>Country</c>: an ISO 3166-1 code such as <c>DE</c>; decides where reverse charge applies.</param>
internal sealed record SellerDetails(string Name, string? Address, string? TaxId, string? Email, string? Country);
