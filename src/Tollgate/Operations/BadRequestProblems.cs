using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;

namespace Tollgate.Operations;

/// <summary>
/// Turns a body the framework could not bind (bad JSON, the wrong type for a field, the wrong media
/// type) into problem details that say what is wrong, with <c>errors</c> per field, instead of a bare
/// <c>{"title":"Bad Request"}</c>. Route handlers are set to throw on bad requests so that the reason
/// reaches this handler; anything else is left to the default exception handling.
/// </summary>
internal sealed partial class BadRequestProblems(IProblemDetailsService problems, ILogger<BadRequestProblems> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        var (status, title, detail, field) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } =>
                (415, "Unsupported media type", $"The request body must be JSON (Content-Type: application/json), not '{ContentTypeOf(httpContext)}'.", null),
            BadHttpRequestException { InnerException: JsonException json } => (400, "The request is invalid.", JsonBody.Describe(json), FieldOf(json)),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (413, "Payload too large", "The request body is too large.", null),
            BadHttpRequestException bad when bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase) =>
                (bad.StatusCode, "The request is invalid.", "The request body is missing or empty; send a JSON object.", "body"),
            BadHttpRequestException bad => (bad.StatusCode, "The request is invalid.", SafeMessage(bad), Parameter(bad)),
            JsonException json => (400, "The request is invalid.", JsonBody.Describe(json), FieldOf(json)),
            _ => (0, "", "", (string?)null),
        };
        if (status == 0)
        {
            return false;
        }

        LogRefused(logger, httpContext.Request.Method, httpContext.Request.Path.Value ?? "", status, detail);
        httpContext.Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail };
        if (status == 400)
        {
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [field ?? "body"] = [detail] };
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception }).ConfigureAwait(false);
    }

    private static string ContentTypeOf(HttpContext context) =>
        string.IsNullOrEmpty(context.Request.ContentType) ? "none" : context.Request.ContentType;

    // "$.spend.limit" → "spend.limit": the field named the way the request body spells it.
    private static string FieldOf(JsonException json) =>
        string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : json.Path.TrimStart('$', '.');

    // The framework's messages for query and route values name the parameter and the value's type,
    // never more than the caller sent; they are safe to return.
    private static string SafeMessage(BadHttpRequestException bad) =>
        bad.Message.Length <= 300 ? bad.Message : bad.Message[..300];

    [GeneratedRegex("parameter \"(?:[^\"]* )?(?<name>[A-Za-z0-9_]+)\"")]
    private static partial Regex ParameterName();

    private static string? Parameter(BadHttpRequestException bad) =>
        ParameterName().Match(bad.Message) is { Success: true } m ? m.Groups["name"].Value : null;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused {Method} {Path}: {Status} {Detail}")]
    private static partial void LogRefused(ILogger logger, string method, string path, int status, string detail);
}
