using System.Text.Json;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>The OpenAI-compatible routes, for any provider name in the first path segment.</summary>
internal static class OpenAIApi
{
    /// <summary>What <c>GET /{provider}/v1/models</c> lists.</summary>
    private static readonly string[] ModelIds = ["gpt-5-mini", "gpt-4.1", "gpt-4o-mini", "fake-model"];

    public static IEndpointRouteBuilder MapOpenAIApi(this IEndpointRouteBuilder app)
    {
        var chat = app.ServiceProvider.GetRequiredService<ChatCompletionsEndpoint>();
        app.MapPost("/v1/chat/completions", chat.HandleAsync);
        app.MapPost("/{provider}/v1/chat/completions", chat.HandleAsync);
        var responses = app.ServiceProvider.GetRequiredService<ResponsesEndpoint>();
        app.MapPost("/v1/responses", responses.CreateAsync);
        app.MapPost("/{provider}/v1/responses", responses.CreateAsync);
        app.MapGet("/v1/responses/{id}", responses.GetAsync);
        app.MapGet("/{provider}/v1/responses/{id}", responses.GetAsync);
        app.MapGet("/v1/models", ListModelsAsync);
        app.MapGet("/{provider}/v1/models", ListModelsAsync);
        return app;
    }

    /// <summary>An unknown path answers like api.openai.com: 404 <c>Invalid URL (METHOD /path)</c>.</summary>
    public static Task InvalidUrlAsync(HttpContext context) =>
        OpenAIError.InvalidUrl(context.Request.Method, context.Request.Path.Value ?? "/").WriteAsync(context.Response, context.RequestAborted);

    private static async Task ListModelsAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<FakeOptions>();
        if (BearerAuth.Check(context.Request.Headers.Authorization, options.RequireApiKey) is { } authError)
        {
            await authError.WriteAsync(context.Response, context.RequestAborted);
            return;
        }

        var provider = context.Request.RouteValues["provider"] as string ?? "openai";
        var created = context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeSeconds();
        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, OpenAIError.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("object"u8, "list"u8);
            json.WriteStartArray("data"u8);
            foreach (var id in ModelIds)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, id);
                json.WriteString("object"u8, "model"u8);
                json.WriteNumber("created"u8, created);
                json.WriteString("owned_by"u8, provider);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
