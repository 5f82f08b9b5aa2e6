using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.ChatCompletions;
using Tollgate.Gateway.Endpoints.Embeddings;
using Tollgate.Gateway.Endpoints.Images;
using Tollgate.Gateway.Endpoints.Ocr;
using Tollgate.Gateway.Endpoints.Speech;
using Tollgate.Gateway.Endpoints.Transcriptions;
using Tollgate.Gateway.Endpoints.Videos;
using Tollgate.Gateway.Endpoints.Messages;
using Tollgate.Gateway.Endpoints.Responses;
using Tollgate.Gateway.Endpoints.Models;
using Tollgate.Gateway.Endpoints.Usage;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Translation;
using Tollgate.Providers;

namespace Tollgate.Gateway;

/// <summary>Registers and maps the data plane (<c>/v1</c>).</summary>
public static class GatewayServices
{
    // The built-in demo model (--demo), in the catalog's own format.
    private const string DemoCatalog = """
        {"models":[{"id":"demo/echo","name":"Demo echo","kind":"chat","contextWindow":128000,"maxOutputTokens":4096,
          "providers":[{"provider":"demo","providerModelId":"echo",
            "prices":[{"effectiveFrom":null,"effectiveUntil":null,"inputPerMillion":"1","outputPerMillion":"2"}]}]}]}
        """;

    /// <summary>Adds the gateway's services.</summary>
    public static IServiceCollection AddTollgateGateway(this IServiceCollection services, IConfiguration configuration)
    {
        var demo = string.Equals(configuration["Tollgate:Demo"], "true", StringComparison.OrdinalIgnoreCase);
        services.AddSingleton(GatewayOptions.FromConfiguration(configuration));
        services.AddSingleton(_ => new ProviderDirectory(configuration, demo));
        services.AddSingleton<MappingHealth>();
        services.AddSingleton(sp =>
        {
            var catalog = sp.GetRequiredService<ModelCatalog>();
            if (demo)
            {
                using var json = new MemoryStream(Encoding.UTF8.GetBytes(DemoCatalog));
                catalog = catalog.WithModels(ModelCatalog.LoadFrom(json).Models);
            }

            return new ModelRouter(catalog, sp.GetRequiredService<ProviderDirectory>(), sp.GetRequiredService<MappingHealth>());
        });
        services.AddSingleton<SpendLedger>();
        services.AddSingleton<BudgetStore>();
        services.AddSingleton<SharedBudgets>();
        services.AddSingleton<BudgetEngine>();
        services.AddHostedService<SharedBudgetsService>();
        services.AddHostedService<DurableHoldsLoader>();
        services.TryAddSingleton<ILedgerAppender>(sp => sp.GetRequiredService<SpendLedger>());
        services.AddSingleton<BudgetAdmission>();
        services.AddSingleton<AttemptSettlement>();
        services.AddSingleton<GatewayPipeline>();
        services.AddSingleton<ResponseStore>();
        services.AddSingleton<ChatFormats>();
        services.AddSingleton<Providers.Google.VertexTokenSource>();
        services.AddSingleton<ChatCompletionsEndpoint>();
        services.AddSingleton<MessagesEndpoint>();
        services.AddSingleton<ResponsesEndpoint>();
        services.AddSingleton<EmbeddingsEndpoint>();
        services.AddSingleton<SpeechEndpoint>();
        services.AddSingleton<TranscriptionsEndpoint>();
        services.AddSingleton<ImageGenerationsEndpoint>();
        services.AddSingleton<ImageEditsEndpoint>();
        services.AddSingleton<OcrEndpoint>();
        services.AddVideoJobs();
        return services;
    }

    /// <summary>Maps the <c>/v1</c> endpoints.</summary>
    public static IEndpointRouteBuilder MapGatewayApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", (HttpContext context, GatewayPipeline pipeline, ChatCompletionsEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapPost("/v1/messages", (HttpContext context, GatewayPipeline pipeline, MessagesEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapPost("/v1/messages/count_tokens", CountTokensEndpoint.HandleAsync);
        app.MapPost("/v1/responses", (HttpContext context, GatewayPipeline pipeline, ResponsesEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapGet("/v1/responses/{id}", ResponsesEndpoint.GetAsync);
        app.MapGet("/v1/models", ModelsEndpoint.ListAsync);
        app.MapPost("/v1/embeddings", (HttpContext context, GatewayPipeline pipeline, EmbeddingsEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapPost("/v1/audio/speech", (HttpContext context, GatewayPipeline pipeline, SpeechEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapPost("/v1/audio/transcriptions", (HttpContext context, GatewayPipeline pipeline, TranscriptionsEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapPost("/v1/images/generations", (HttpContext context, GatewayPipeline pipeline, ImageGenerationsEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapPost("/v1/images/edits", (HttpContext context, GatewayPipeline pipeline, ImageEditsEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapPost("/v1/ocr", (HttpContext context, GatewayPipeline pipeline, OcrEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapVideosApi();
        app.MapUsageEndpoints();

        // Any other /v1 path answers in the format SDKs read, not problem+json: Anthropic's under /v1/messages.
        app.MapFallback("/v1/{**path}", (HttpContext context) =>
            (context.Request.Path.StartsWithSegments("/v1/messages") ? (ErrorFormat)AnthropicErrorFormat.Instance : OpenAIErrorFormat.Instance)
                .WriteAsync(context.Response, GatewayError.UnknownRoute(context.Request.Method, context.Request.Path)));
        return app;
    }
}
