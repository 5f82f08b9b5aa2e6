namespace Tollgate.FakeProviders.Google;

/// <summary>
/// The Google routes: the Gemini API (AI Studio) at <c>{base}/v1beta/models/{model}:generateContent</c> and
/// <c>:streamGenerateContent</c> (base <c>http://host:port</c> or <c>http://host:port/{provider}</c>); Vertex AI at
/// <c>/v1/projects/{project}/locations/{location}/publishers/{google|anthropic}/models/{model}:{method}</c>; and the
/// OAuth token endpoint a service account's <c>token_uri</c> names, <c>/token</c>.
/// </summary>
internal static class GoogleApi
{
    public static IEndpointRouteBuilder MapGoogleApi(this IEndpointRouteBuilder app)
    {
        var gemini = app.ServiceProvider.GetRequiredService<GeminiEndpoint>();
        var tokens = app.ServiceProvider.GetRequiredService<VertexTokenEndpoint>();
        var vertexClaude = app.ServiceProvider.GetRequiredService<VertexAnthropicEndpoint>();
        app.MapPost("/v1beta/models/{target}", gemini.HandleStudioAsync);
        app.MapPost("/{provider}/v1beta/models/{target}", gemini.HandleStudioAsync);
        app.MapPost("/v1/projects/{project}/locations/{location}/publishers/google/models/{target}", gemini.HandleVertexAsync);
        app.MapPost("/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{target}", vertexClaude.HandleAsync);
        app.MapPost("/token", tokens.HandleAsync);
        return app;
    }

    /// <summary>Splits <c>{model}:{method}</c>; null when there is no method.</summary>
    public static (string Model, string Method)? Target(HttpContext context)
    {
        var target = context.Request.RouteValues["target"] as string ?? string.Empty;
        var colon = target.LastIndexOf(':');
        return colon <= 0 ? null : (target[..colon], target[(colon + 1)..]);
    }
}
