using Scalar.AspNetCore;

namespace Tollgate.Operations;

/// <summary>
/// The API's own description: <c>GET /openapi.json</c>, generated from the mapped endpoints
/// (Microsoft.AspNetCore.OpenApi), and a reference page at <c>/docs</c> (Scalar) whose script and styles
/// are served by this server, so it works offline and behind a firewall.
/// </summary>
internal static class ApiReference
{
    /// <summary>Where the OpenAPI document is served.</summary>
    public const string DocumentPath = "/openapi.json";

    /// <summary>Where the reference page is served.</summary>
    public const string DocsPath = "/docs";

    /// <summary>Adds the document generator.</summary>
    public static IServiceCollection AddApiReference(this IServiceCollection services)
    {
        services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new Microsoft.OpenApi.OpenApiInfo
            {
                Title = "Tollgate",
                Version = "v1",
                Description = "LLM API gateway with per-member and per-key budgets: the management API (session tokens) and the gateway under /v1 (API keys).",
            };
            return Task.CompletedTask;
        }).AddSchemaTransformer((schema, context, _) =>
        {
            // Every problem answer carries the request's trace id (the problem details service adds it).
            var type = context.JsonTypeInfo.Type;
            if (type == typeof(Microsoft.AspNetCore.Mvc.ProblemDetails) || type == typeof(HttpValidationProblemDetails))
            {
                schema.Properties ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema>();
                schema.Properties["traceId"] = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String };
            }

            return Task.CompletedTask;
        }));
        return services;
    }

    /// <summary>Maps the document and the page.</summary>
    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath);
        app.MapScalarApiReference(DocsPath, options => options
            .WithTitle("Tollgate API")
            .AddDocument("v1", "Tollgate", DocumentPath)
            .DisableDefaultFonts());
        return app;
    }
}
