using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Operations;

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
        org.MapPost("/transactions/{transactionId}/refund", RefundAsync)
            .Takes<RefundRequest>().Answers<BillingApi.TransactionResponse>(StatusCodes.Status201Created).Answers<BillingApi.TransactionResponse>(StatusCodes.Status202Accepted).Refuses(409, 502);
        org.MapGet("/transactions/{transactionId}/invoice", InvoiceAsync)
            .AnswersFile("application/pdf").Refuses(409);
    }

    private static async Task<IResult> RefundAsync(
        string transactionId, HttpRequest request, OrgMember member, RequestAudit audit, BillingActions billing, CancellationToken ct)
    {
        // Who may is answered before what was sent; then the shared reader refuses every malformed body
        // (media type, empty, not UTF-8, not JSON, not an object) with a problem that says what is wrong.
        if (!BillingActions.SeesBilling(member))
        {
            return (await billing.RefundAsync(member, audit, transactionId, default, ct)).Problem!;
        }

        var (body, problem) = await Tollgate.Operations.JsonBody.ReadObjectAsync(request, ct);
        if (body is null)
        {
            return problem!;
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
