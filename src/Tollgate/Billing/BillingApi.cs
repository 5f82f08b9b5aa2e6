using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Budgets;

namespace Tollgate.Billing;

/// <summary>
/// Credits and transactions (api.md "Transactions, credits and invoices"):
/// <code>
/// GET  /orgs/{orgId}/credits            the balance                          owner, admin, billing
/// POST /orgs/{orgId}/credits/purchase   the self-hosted grant {amount}       owner, admin
/// GET  /orgs/{orgId}/transactions       newest first, paged                  owner, admin, billing
/// </code>
/// No payment provider exists in this build, so a purchase is the grant of a self-hosted server:
/// completed at once, by those who manage both billing and the org's settings.
/// </summary>
internal static class BillingApi
{
    private const string ViewForbidden = "Only owners, admins and billing members can see the org's credits and transactions.";
    private const string GrantForbidden = "Only owners and admins can grant credits on a server without a payment provider.";

    /// <summary>A transaction as the API shows it.</summary>
    internal sealed record TransactionResponse(
        string Id, string Type, string Status, string Amount, string Currency, string CreditAmount,
        string CreatedAt, string? CompletedAt, string? RelatedTransactionId, string? DocumentNumber);

    /// <summary>
    /// <c>GET /orgs/{orgId}/credits</c>: <c>balance</c> (credited − charged), plus what requests in
    /// flight hold (<c>reserved</c>), what a new request may still use (<c>available</c>) and the
    /// org's <c>billingMode</c>.
    /// </summary>
    internal sealed record CreditsResponse(string Balance, string Reserved, string Available, string BillingMode);

    /// <summary>Adds the billing services.</summary>
    public static IServiceCollection AddTollgateBilling(this IServiceCollection services) =>
        services.AddSingleton<TransactionStore>();

    /// <summary>Maps the credits and transactions endpoints under <c>/orgs/{orgId}</c>.</summary>
    public static IEndpointRouteBuilder MapBillingApi(this IEndpointRouteBuilder app)
    {
        var org = app.MapOrgGroup("");
        org.MapGet("/credits", GetCreditsAsync);
        org.MapPost("/credits/purchase", PurchaseAsync);
        org.MapGet("/transactions", ListTransactionsAsync);
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

    private static async Task<IResult> PurchaseAsync(HttpRequest request, OrgMember member, RequestAudit audit, TransactionStore transactions, CancellationToken ct)
    {
        if (!GrantsCredits(member))
        {
            return AccountProblems.Forbidden(GrantForbidden);
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

        var row = await transactions.GrantAsync(audit, amount, ct);
        return TypedResults.Created($"/orgs/{member.OrgId}/transactions/{row.Id}", ToResponse(row));
    }

    /// <summary>Why the body's <c>amount</c> is not a strictly positive USD amount; null when it is.</summary>
    private static string? ReadAmount(JsonElement root, out long pico)
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
        OrgMember member, string? limit, string? cursor, TransactionStore transactions, CancellationToken ct)
    {
        if (!SeesBilling(member))
        {
            return AccountProblems.Forbidden(ViewForbidden);
        }

        if (!Paging.TryParse(limit, cursor, out var paging, out var error))
        {
            return AccountProblems.Validation("limit", error!);
        }

        var rows = await transactions.ListAsync(member.OrgId, paging, ct);
        return TypedResults.Ok(paging.ToPage(rows, r => r.Id, ToResponse));
    }

    private static TransactionResponse ToResponse(TransactionStore.TransactionRow row) => new(
        row.Id, row.Type, row.Status, Money.ToWire(row.AmountPico), row.Currency, Money.ToWire(row.CreditAmountPico),
        ApiTime.FromUnixMs(row.CreatedAt), ApiTime.FromUnixMs(row.CompletedAt), row.RelatedTransactionId, row.DocumentNumber);
}
