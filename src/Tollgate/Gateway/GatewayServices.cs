using System.Text;
using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Catalog;
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
        services.AddSingleton(sp =>
        {
            var catalog = sp.GetRequiredService<ModelCatalog>();
            if (demo)
            {
                using var json = new MemoryStream(Encoding.UTF8.GetBytes(DemoCatalog));
                catalog = catalog.WithModels(ModelCatalog.LoadFrom(json).Models);
            }

            return new ModelRouter(catalog, sp.GetRequiredService<ProviderDirectory>());
        });
        services.AddSingleton<SpendLedger>();
        services.AddSingleton<BudgetStore>();
        services.AddSingleton<SharedBudgets>();
        services.AddSingleton<BudgetEngine>();
        services.AddHostedService<SharedBudgetsService>();
        services.AddSingleton<BudgetAdmission>();
        services.AddSingleton<ChatCompletionsForwarder>();
        return services;
    }

    /// <summary>Maps the <c>/v1</c> endpoints.</summary>
    public static IEndpointRouteBuilder MapGatewayApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", (HttpContext context, ChatCompletionsForwarder forwarder) => forwarder.ForwardAsync(context));
        app.MapGet("/v1/models", ListModelsAsync);
        return app;
    }

    /// <summary><c>GET /v1/models</c>: catalog models that a configured provider can serve, in OpenAI's list format.</summary>
    private static async Task ListModelsAsync(HttpContext context, ApiKeyAuthenticator authenticator, ModelRouter router, ProviderDirectory providers)
    {
        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        if (auth.Identity is null)
        {
            await OpenAIErrors.WriteAsync(context.Response, GatewayError.FromAuth(auth));
            return;
        }

        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
        foreach (var model in router.Catalog.Models)
        {
            if (!model.Providers.Any(p => providers.Get(p.Provider) is { IsConfigured: true }))
            {
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString("id", model.Id);
            writer.WriteString("object", "model");
            writer.WriteNumber("created", 0);
            writer.WriteString("owned_by", model.Providers[0].Provider);
            writer.WriteString("name", model.Name);
            writer.WriteString("kind", model.Kind);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
