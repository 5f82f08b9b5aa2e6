using Tollgate.Accounts;
using Tollgate.Budgets;

namespace Tollgate.Gateway.Errors;

/// <summary>
/// The one error kind of the request path, as a value: status, machine code and a message for
/// people. Each endpoint renders it in its own wire format (<see cref="ErrorFormat"/>).
/// </summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Type">Error type in OpenAI's vocabulary (<c>invalid_request_error</c>, <c>budget_exceeded</c>, ...);
/// other formats map it to theirs.</param>
/// <param name="Code">Machine-readable <c>code</c>.</param>
/// <param name="Message">What is wrong, in a sentence.</param>
/// <param name="Param">The offending request field, if any.</param>
public sealed record GatewayError(int Status, string Type, string Code, string Message, string? Param = null)
{
    /// <summary>A sentence for people (budget denials).</summary>
    public string? Detail { get; init; }

    /// <summary>The cap that refused the request (budget denials).</summary>
    public CapStatus? Budget { get; init; }

    /// <summary>The error for a refused credential: 401, or 403 <c>project_access_revoked</c>.</summary>
    public static GatewayError FromAuth(KeyAuthResult auth) => auth.Failure == KeyAuthFailure.ProjectAccessRevoked
        ? new(StatusCodes.Status403Forbidden, "permission_error", "project_access_revoked", auth.Message)
        : new(StatusCodes.Status401Unauthorized, "invalid_request_error", "invalid_api_key", auth.Message);

    /// <summary>An admission refusal as the error a client sees: 403 for a cap, 402 for credits, 503 when spend state is unreadable.</summary>
    internal static GatewayError FromDenial(BudgetDenial denial) => denial.Reason switch
    {
        DenialReason.CapExhausted => new(StatusCodes.Status403Forbidden, "budget_exceeded", denial.Code, denial.Message) { Detail = denial.Detail, Budget = denial.Cap },
        DenialReason.InsufficientCredits => new(StatusCodes.Status402PaymentRequired, "insufficient_credits", denial.Code, denial.Message) { Detail = denial.Detail },
        DenialReason.MemberUnreadable => new(StatusCodes.Status403Forbidden, "server_error", denial.Code, denial.Message) { Detail = denial.Detail },
        _ => new(StatusCodes.Status503ServiceUnavailable, "server_error", denial.Code, denial.Message) { Detail = denial.Detail },
    };

    /// <summary>400 for a request the gateway cannot accept.</summary>
    public static GatewayError BadRequest(string code, string message, string? param = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error", code, message, param);

    /// <summary>404 for a <c>/v1</c> path or method the gateway does not serve.</summary>
    public static GatewayError UnknownRoute(string method, string path) =>
        new(StatusCodes.Status404NotFound, "invalid_request_error", "unknown_url", $"Unrecognized request URL ({method} {path}).");

    /// <summary>A failure of the provider or of the gateway's link to it, after the request was admitted.</summary>
    public static GatewayError Upstream(int status, string code, string message) => new(status, "upstream_error", code, message);
}
