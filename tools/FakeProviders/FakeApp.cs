using Tollgate.FakeProviders.Anthropic;
using Tollgate.FakeProviders.Bedrock;
using Tollgate.FakeProviders.Google;
using Tollgate.FakeProviders.Media;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders;

/// <summary>Builds the fake providers' application: services, routes, quiet logging.</summary>
internal static class FakeApp
{
    /// <summary>
    /// Builds the app. <paramref name="options"/> is the live instance requests read their defaults
    /// from; when null one is bound from the <c>Fake:</c> configuration section.
    /// </summary>
    public static WebApplication Build(string[] args, FakeOptions? options = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);

        // A load-test baseline: nothing logged per request.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (options is null)
        {
            options = new FakeOptions();
            builder.Configuration.GetSection("Fake").Bind(options);
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<FakeStats>();
        builder.Services.AddSingleton<RequestLog>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ChatCompletionsEndpoint>();
        builder.Services.AddSingleton<ResponsesEndpoint>();
        builder.Services.AddSingleton<ResponseStore>();
        builder.Services.AddSingleton<MessagesEndpoint>();
        builder.Services.AddSingleton<ConverseEndpoint>();
        builder.Services.AddSingleton<GeminiEndpoint>();
        builder.Services.AddSingleton<VertexTokenEndpoint>();
        builder.Services.AddSingleton<VertexAnthropicEndpoint>();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapOpenAIApi();
        app.MapAnthropicApi();
        app.MapBedrockApi();
        app.MapGoogleApi();
        Mistral.MistralApi.MapMistralApi(app);
        app.MapMediaApi();
        app.MapFakeControlApi();
        app.MapFallback(OpenAIApi.InvalidUrlAsync);
        return app;
    }
}
