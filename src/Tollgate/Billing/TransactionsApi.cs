using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Audit;

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
    private const string BodyShape = "The body must be a JSON object with reason and, optionally, amount and allowNegativeBalance.";

    /// <summary>Maps the endpoints on the org group.</summary>
    public static void Map(RouteGroupBuilder org)
    {
        org.MapPost("/transactions/{transactionId}/refund", RefundAsync);
        org.MapGet("/transactions/{transactionId}/invoice", InvoiceAsync);
    }

    private static async Task<IResult> RefundAsync(
        string transactionId, HttpRequest request, OrgMember member, RequestAudit audit, BillingActions billing, CancellationToken ct)
    {
        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (JsonException)
        {
            // Who may is answered before what was sent.
            return BillingActions.SeesBilling(member)
                ? AccountProblems.Validation("reason", BodyShape)
                : (await billing.RefundAsync(member, audit, transactionId, default, ct)).Problem!;
        }

        using (body)
        {
            var made = await billing.RefundAsync(member, audit, transactionId, body.RootElement, ct);
            return made.ToResult(r => r.PendingBecause is { } why
                ? TypedResults.Json(BillingApi.ToResponse(r.Row) with { Reason = why }, statusCode: StatusCodes.Status202Accepted)
                : TypedResults.Created($"/orgs/{member.OrgId}/transactions/{r.Row.Id}", BillingApi.ToResponse(r.Row)));
        }
    }

    private static async Task<IResult> InvoiceAsync(string transactionId, HttpContext http, OrgMember member, BillingActions billing, CancellationToken ct)
    {
        var document = await billing.DocumentAsync(member, transactionId, ct);
        return document.ToResult(d =>
        {
            http.Response.Headers.ContentDisposition = "attachment; filename=" + d.FileName;
            return TypedResults.Bytes(d.Pdf, "application/pdf");
        });
    }
}
