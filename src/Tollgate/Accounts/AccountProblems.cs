using Microsoft.AspNetCore.Http.HttpResults;

namespace Tollgate.Accounts;

/// <summary>The RFC 9457 problem responses of the management API, in one place so titles and wording stay consistent.</summary>
internal static class AccountProblems
{
    /// <summary>400 with <c>errors</c> per field, and every message in <c>detail</c> for clients that show one line.</summary>
    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: string.Join(" ", errors.Values.SelectMany(m => m)), title: "The request is invalid.");

    /// <summary>400 with one field error.</summary>
    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>401: no usable session.</summary>
    public static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");

    /// <summary>403: the caller may see the thing but not do this.</summary>
    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    /// <summary>404: also the answer for ids of orgs the caller is not a member of, so ids do not leak.</summary>
    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    /// <summary>409: the request conflicts with the current state.</summary>
    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    /// <summary>403 <c>plan_required</c>: the org's plan lacks the feature; the detail names the plan needed.</summary>
    public static ProblemHttpResult PlanRequired(string plan) =>
        TypedResults.Problem(
            $"This feature requires the {plan} plan.",
            statusCode: StatusCodes.Status403Forbidden,
            title: "Plan required",
            extensions: new Dictionary<string, object?> { ["code"] = PlanPolicy.PlanRequiredCode, ["requiredPlan"] = plan });

    /// <summary>410: the thing existed but can no longer be used (an expired or revoked invite).</summary>
    public static ProblemHttpResult Gone(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status410Gone, title: "Gone");
}
