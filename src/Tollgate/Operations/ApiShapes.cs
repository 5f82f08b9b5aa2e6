namespace Tollgate.Operations;

/// <summary>
/// The request and response shapes of management routes, for <c>/openapi.json</c>. Handlers answer
/// <see cref="IResult"/> (a value or the problem of an <c>Outcome</c>), which says nothing about its shape,
/// so each route names the record it answers, the body it reads and the problems it may answer. Every
/// record named here is the one the handler serializes, so the document describes what is sent.
/// </summary>
internal static class ApiShapes
{
    /// <summary>Answers <typeparamref name="T"/> as JSON with <paramref name="status"/> (200 unless told).</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder builder, int status = StatusCodes.Status200OK) =>
        builder.Produces<T>(status, "application/json");

    /// <summary>Answers 204 with no body.</summary>
    public static RouteHandlerBuilder AnswersNoContent(this RouteHandlerBuilder builder) =>
        builder.Produces(StatusCodes.Status204NoContent);

    /// <summary>
    /// Reads a JSON object of the shape <typeparamref name="T"/> (for handlers that parse the body
    /// themselves); a body that is not JSON is a 415, a malformed one a 400.
    /// </summary>
    public static RouteHandlerBuilder Takes<T>(this RouteHandlerBuilder builder)
        where T : notnull =>
        builder.Accepts<T>("application/json").ProducesValidationProblem().ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    /// <summary>May answer these problems (400 with <c>errors</c> per field; the others problem details).</summary>
    public static RouteHandlerBuilder Refuses(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder = status == StatusCodes.Status400BadRequest ? builder.ProducesValidationProblem() : builder.ProducesProblem(status);
        }

        return builder;
    }
}
