using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Budgets;

namespace Tollgate.Billing;

/// <summary>
/// Credits and transactions (api.md "Transactions, credits and invoices"):
/// <code>
/// GET  /orgs/{orgId}/credits                                   the balance                       owner, admin, billing
/// POST /orgs/{orgId}/credits/purchase {amount}                 Stripe Checkout, or the grant     owner, admin, billing (grant: owner, admin)
/// GET  /orgs/{orgId}/transactions?type&amp;status&amp;from&amp;to      newest first, paged               owner, admin, billing
/// POST /orgs/{orgId}/transactions/{id}/refund                  see <see cref="TransactionsApi"/>
/// GET  /orgs/{orgId}/transactions/{id}/invoice                 see <see cref="TransactionsApi"/>
/// POST /billing/stripe/webhook                                 see <see cref="StripeWebhook"/>
/// </code>
/// With Stripe configured a purchase is paid through Checkout and completed by its webhook; without
/// a payment provider it is the grant of a self-hosted server: completed at once, by those who manage
/// both billing and the org's settings.
/// </summary>
internal static class BillingApi
{
    private const string ViewForbidden = "Only owners, admins and billing members can see the org's credits and transactions.";
    private const string GrantForbidden = "Only owners and admins can grant credits on a server without a payment provider.";
    private const string BuyForbidden = "Only owners, admins and billing members can buy credits.";

    /// <summary>A transaction as the API shows it; <c>checkoutUrl</c> only on a purchase waiting to be paid.</summary>
    internal sealed record TransactionResponse(
        string Id, string Type, string Status, string Amount, string Currency, string CreditAmount,
        string CreatedAt, string? CompletedAt, string? RelatedTransactionId, string? DocumentNumber,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? CheckoutUrl = null,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

    /// <summary>
    /// <c>GET /orgs/{orgId}/credits</c>: <c>balance</c> (credited − charged), plus what requests in
    /// flight hold (<c>reserved</c>), what a new request may still use (<c>available</c>) and the
    /// org's <c>billingMode</c>.
    /// </summary>
    internal sealed record CreditsResponse(string Balance, string Reserved, string Available, string BillingMode);

    /// <summary>Adds the billing services (Stripe's only when it is configured).</summary>
    public static IServiceCollection AddTollgateBilling(this IServiceCollection services, IConfiguration configuration)
    {
        var options = BillingOptions.FromConfiguration(configuration);
        services.AddSingleton(options);
        services.AddSingleton<TransactionStore>();
        services.AddSingleton<Refunds>();
        if (options.Stripe is { } stripe)
        {
            services.AddHttpClient("stripe");
            services.AddSingleton(stripe);
            services.AddSingleton<StripePayments>();
            services.AddSingleton<StripeWebhook>();
        }

        return services;
    }

    /// <summary>Maps the credits and transactions endpoints under <c>/orgs/{orgId}</c>, and Stripe's webhook when configured.</summary>
    public static IEndpointRouteBuilder MapBillingApi(this IEndpointRouteBuilder app)
    {
        var org = app.MapOrgGroup("");
        org.MapGet("/credits", GetCreditsAsync);
        org.MapPost("/credits/purchase", PurchaseAsync);
        org.MapGet("/transactions", ListTransactionsAsync);
        TransactionsApi.Map(org);
        if (app.ServiceProvider.GetService<StripeOptions>() is not null)
        {
            StripeWebhook.Map(app);
        }
        else
        {
            // Mapped anyway, so the path is a plain 404 rather than whatever other routes make of it.
            app.MapPost("/billing/stripe/webhook", () => TypedResults.Problem(
                "Card payments are not configured on this server.", statusCode: StatusCodes.Status404NotFound, title: "Not found"));
        }

        return app;
    }

    private static bool SeesBilling(OrgMember member) => RolePolicy.Can(member.Role, Capability.ManageBilling);

    // Without a payment provider a purchase costs nothing: it takes both billing and the org's settings.
    private static bool GrantsCredits(OrgMember member) => SeesBilling(member) && RolePolicy.Can(member.Role, Capability.ManageOrgSettings);

    private static async Task<IResult> GetCreditsAsync(OrgMember member, BudgetEngine engine, CancellationToken ct)
    {
        if (!SeesBilling(member))
        {
            return AccountProblems.Forbidden(ViewForbidden);
        }

        var view = await engine.ViewCreditsAsync(member.OrgId, ct);
        return TypedResults.Ok(new CreditsResponse(
            Money.ToWire(view.BalancePico), Money.ToWire(view.ReservedPico), Money.ToWire(view.AvailablePico), view.BillingMode));
    }

    private static async Task<IResult> PurchaseAsync(
        HttpRequest request, OrgMember member, RequestAudit audit, TransactionStore transactions, IServiceProvider services, CancellationToken ct)
    {
        var stripe = services.GetService<StripePayments>();
        if (stripe is null ? !GrantsCredits(member) : !SeesBilling(member))
        {
            return AccountProblems.Forbidden(stripe is null ? GrantForbidden : BuyForbidden);
        }

        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (JsonException)
        {
            return AccountProblems.Validation("amount", "The body must be a JSON object with amount, a decimal amount in USD such as \"100\" or \"12.50\".");
        }

        long amount;
        using (body)
        {
            if (ReadAmount(body.RootElement, out amount) is { } problem)
            {
                return AccountProblems.Validation("amount", problem);
            }
        }

        if (stripe is null)
        {
            var granted = await transactions.GrantAsync(audit, amount, ct);
            return TypedResults.Created($"/orgs/{member.OrgId}/transactions/{granted.Id}", ToResponse(granted));
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
            checkout = await stripe.CreateCheckoutAsync(row, BillingSnapshot.FromJson(row.BillingJson!), $"{request.Scheme}://{request.Host}", ct);
        }
        catch (Exception e) when (e is Stripe.StripeException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            // Even if Stripe made a session, the buyer never got its URL: the purchase is failed, and a webhook completes nothing.
            await transactions.SettleAsync(row, fail: true, "Stripe did not create the checkout: " + e.Message, CancellationToken.None);
            return ProviderFailed("Stripe did not create the checkout: " + e.Message);
        }

        row = await transactions.SetCheckoutAsync(row, checkout.SessionId, checkout.Url, ct);
        return TypedResults.Created($"/orgs/{member.OrgId}/transactions/{row.Id}", ToResponse(row));
    }

    /// <summary>502: the payment provider refused or could not be reached.</summary>
    internal static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult ProviderFailed(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status502BadGateway, title: "Payment provider error");

    /// <summary>Why the body's <c>amount</c> is not a strictly positive USD amount; null when it is.</summary>
    internal static string? ReadAmount(JsonElement root, out long pico)
    {
        pico = 0;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("amount", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return "amount is required: a decimal amount in USD, such as \"100\" or \"12.50\".";
        }

        if (!Money.TryRead(value, out pico, out var problem))
        {
            return "amount " + problem;
        }

        return pico == 0 ? "amount must be greater than 0." : null;
    }

    private static async Task<IResult> ListTransactionsAsync(
        OrgMember member, string? limit, string? cursor, string? type, string? status, string? from, string? to,
        TransactionStore transactions, CancellationToken ct)
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

        var rows = await transactions.ListAsync(member.OrgId, filter, paging, ct);
        return TypedResults.Ok(paging.ToPage(rows, r => r.Id, ToResponse));
    }

    /// <summary>The API's view of a transaction.</summary>
    internal static TransactionResponse ToResponse(TransactionStore.TransactionRow row) => new(
        row.Id, row.Type, row.Status, Money.ToWire(row.AmountPico), row.Currency, Money.ToWire(row.CreditAmountPico),
        ApiTime.FromUnixMs(row.CreatedAt), ApiTime.FromUnixMs(row.CompletedAt), row.RelatedTransactionId, row.DocumentNumber,
        row.Status == "pending" ? row.CheckoutUrl : null, row.Reason);
}
