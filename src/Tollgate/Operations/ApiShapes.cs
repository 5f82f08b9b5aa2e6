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
    /// themselves); a body that is not JSON is a 415, a malformed one a 400. Only the document says so:
    /// no accepts metadata is added, since that would make routing and the bound-body check
    /// (<see cref="JsonBodyCheck"/>) act on a shape the handler does not bind.
    /// </summary>
    public static RouteHandlerBuilder Takes<T>(this RouteHandlerBuilder builder, bool required = true)
    {
        builder.AddOpenApiOperationTransformer(async (operation, context, ct) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, ct).ConfigureAwait(false);
            operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
            {
                Required = required,
                Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = schema },
                },
            };
        });
        return builder.ProducesValidationProblem().ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
    }

    /// <summary>
    /// Also answers the 200 as CSV (<c>format=csv</c>). Added to the document after the JSON answer, since
    /// two produced types for one status would leave only one of them.
    /// </summary>
    public static RouteHandlerBuilder AlsoAnswersCsv(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.GetValueOrDefault("200") is Microsoft.OpenApi.OpenApiResponse ok)
            {
                ok.Content ??= new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>();
                ok.Content["text/csv"] = new() { Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String } };
            }

            return Task.CompletedTask;
        });

    /// <summary>Answers a file of <paramref name="contentType"/> (binary) with 200.</summary>
    public static RouteHandlerBuilder AnswersFile(this RouteHandlerBuilder builder, string contentType) =>
        builder.Produces(StatusCodes.Status200OK).AddOpenApiOperationTransformer((operation, _, _) =>
        {
            if (operation.Responses?.GetValueOrDefault("200") is Microsoft.OpenApi.OpenApiResponse ok)
            {
                ok.Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                {
                    [contentType] = new() { Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "binary" } },
                };
            }

            return Task.CompletedTask;
        });

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
