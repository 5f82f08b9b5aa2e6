using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Routing;
using Tollgate.Providers;

namespace Tollgate.Gateway.Endpoints.Models;

/// <summary><c>GET /v1/models</c>.</summary>
internal static class ModelsEndpoint
{
    /// <summary><c>GET /v1/models</c>: catalog models that a configured provider can serve, in OpenAI's list format.</summary>
    public static async Task ListAsync(HttpContext context, ApiKeyAuthenticator authenticator, ModelRouter router, ProviderDirectory providers)
    {
        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted);
        if (auth.Identity is null)
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.FromAuth(auth));
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
