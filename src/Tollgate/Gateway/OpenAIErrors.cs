using System.Text.Json;

namespace Tollgate.Gateway;

/// <summary>A gateway error as a value: status, machine code and a message for people.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Type">OpenAI error <c>type</c>.</param>
/// <param name="Code">Machine-readable <c>code</c>.</param>
/// <param name="Message">What is wrong, in a sentence.</param>
/// <param name="Param">The offending request field, if any.</param>
public sealed record GatewayError(int Status, string Type, string Code, string Message, string? Param = null)
{
    /// <summary>A sentence for people (budget denials).</summary>
    public string? Detail { get; init; }

    /// <summary>The cap that refused the request (budget denials).</summary>
    public Tollgate.Budgets.CapStatus? Budget { get; init; }

    /// <summary>The error for a refused credential: 401, or 403 <c>project_access_revoked</c>.</summary>
    public static GatewayError FromAuth(Tollgate.Accounts.KeyAuthResult auth) => auth.Failure == Tollgate.Accounts.KeyAuthFailure.ProjectAccessRevoked
        ? new(StatusCodes.Status403Forbidden, "permission_error", "project_access_revoked", auth.Message)
        : new(StatusCodes.Status401Unauthorized, "invalid_request_error", "invalid_api_key", auth.Message);

    /// <summary>An admission refusal as the error a client sees: 403 for a cap, 402 for credits, 503 when spend state is unreadable.</summary>
    internal static GatewayError FromDenial(Tollgate.Budgets.BudgetDenial denial) => denial.Reason switch
    {
        Tollgate.Budgets.DenialReason.CapExhausted => new(StatusCodes.Status403Forbidden, "budget_exceeded", denial.Code, denial.Message) { Detail = denial.Detail, Budget = denial.Cap },
        Tollgate.Budgets.DenialReason.InsufficientCredits => new(StatusCodes.Status402PaymentRequired, "insufficient_credits", denial.Code, denial.Message) { Detail = denial.Detail },
        Tollgate.Budgets.DenialReason.MemberUnreadable => new(StatusCodes.Status403Forbidden, "server_error", denial.Code, denial.Message) { Detail = denial.Detail },
        _ => new(StatusCodes.Status503ServiceUnavailable, "server_error", denial.Code, denial.Message) { Detail = denial.Detail },
    };

    /// <summary>400 for a request the gateway cannot accept.</summary>
    public static GatewayError BadRequest(string code, string message, string? param = null) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error", code, message, param);
}

/// <summary>Writes errors in the OpenAI format: <c>{"error":{"message","type","param","code"}}</c>.</summary>
public static class OpenAIErrors
{
    /// <summary>Writes <paramref name="error"/> as the whole response.</summary>
    public static Task WriteAsync(HttpResponse response, GatewayError error)
    {
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        return response.Body.WriteAsync(ToJson(error)).AsTask();
    }

    /// <summary>The error object as UTF-8 JSON.</summary>
    public static byte[] ToJson(GatewayError error)
    {
        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", error.Message);
            writer.WriteString("type", error.Type);
            if (error.Param is null)
            {
                writer.WriteNull("param");
            }
            else
            {
                writer.WriteString("param", error.Param);
            }

            writer.WriteString("code", error.Code);
            if (error.Detail is not null)
            {
                writer.WriteString("detail", error.Detail);
            }

            if (error.Budget is { } cap)
            {
                writer.WriteStartObject("budget");
                writer.WriteString("scope", cap.Scope);
                writer.WriteString("cap", cap.Cap);
                writer.WriteString("limit", Tollgate.Budgets.Money.ToWire(cap.LimitPico));
                writer.WriteString("spent", Tollgate.Budgets.Money.ToWire(cap.UsedPico));
                writer.WriteString("remaining", Tollgate.Budgets.Money.ToWire(cap.RemainingPico));
                if (cap.ResetsAt is { } resetsAt)
                {
                    writer.WriteString("resetsAt", resetsAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    writer.WriteNull("resetsAt");
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
