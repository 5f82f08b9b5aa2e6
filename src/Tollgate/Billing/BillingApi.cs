using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Budgets;
using Tollgate.Operations;

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
        services.AddSingleton<BillingActions>();
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
        org.MapGet("/credits", GetCreditsAsync)
            .Answers<CreditsResponse>();
        org.MapPost("/credits/purchase", PurchaseAsync)
            .Takes<PurchaseRequest>().Answers<TransactionResponse>(StatusCodes.Status201Created).Refuses(502);
        org.MapGet("/transactions", ListTransactionsAsync)
            .Answers<Page<TransactionResponse>>().Refuses(400);
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

    private static async Task<IResult> GetCreditsAsync(OrgMember member, BillingActions billing, CancellationToken ct) =>
        (await billing.CreditsAsync(member, ct)).ToResult(view => TypedResults.Ok(new CreditsResponse(
            Money.ToWire(view.BalancePico), Money.ToWire(view.ReservedPico), Money.ToWire(view.AvailablePico), view.BillingMode)));

    private static async Task<IResult> PurchaseAsync(
        HttpRequest request, OrgMember member, RequestAudit audit, BillingActions billing, CancellationToken ct)
    {
        if (!billing.MayPurchase(member))
        {
            return (await billing.PurchaseAsync(member, audit, default, "", ct)).Problem!;
        }

        // The shared reader refuses every malformed body (media type, empty, not UTF-8, not JSON, not an
        // object) with a problem that says what is wrong, before the amount is looked at.
        var (body, problem) = await Tollgate.Operations.JsonBody.ReadObjectAsync(request, ct);
        if (body is null)
        {
            return problem!;
        }

        using (body)
        {
            var bought = await billing.PurchaseAsync(member, audit, body.RootElement, $"{request.Scheme}://{request.Host}", ct);
            return bought.ToResult(row => TypedResults.Created($"/orgs/{member.OrgId}/transactions/{row.Id}", ToResponse(row)));
        }
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
        BillingActions billing, CancellationToken ct) =>
        (await billing.ListAsync(member, limit, cursor, type, status, from, to, ct)).ToResult(page => TypedResults.Ok(page.Paging.ToPage(page.Rows, r => r.Id, ToResponse)));

    /// <summary>The API's view of a transaction.</summary>
    internal static TransactionResponse ToResponse(TransactionStore.TransactionRow row) => new(
        row.Id, row.Type, row.Status, Money.ToWire(row.AmountPico), row.Currency, Money.ToWire(row.CreditAmountPico),
        ApiTime.FromUnixMs(row.CreatedAt), ApiTime.FromUnixMs(row.CompletedAt), row.RelatedTransactionId, row.DocumentNumber,
        row.Status == "pending" ? row.CheckoutUrl : null, row.Reason);
}
