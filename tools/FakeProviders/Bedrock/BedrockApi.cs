namespace Tollgate.FakeProviders.Bedrock;

/// <summary>
/// The Bedrock runtime routes. A client's base URL is <c>http://host:port/{provider}</c> (provider
/// <c>bedrock</c>); it posts to <c>{base}/model/{modelId}/converse</c> and <c>/converse-stream</c>.
/// </summary>
internal static class BedrockApi
{
    public static IEndpointRouteBuilder MapBedrockApi(this IEndpointRouteBuilder app)
    {
        var converse = app.ServiceProvider.GetRequiredService<ConverseEndpoint>();
        app.MapPost("/{provider}/model/{modelId}/converse", context => converse.HandleAsync(context, stream: false));
        app.MapPost("/{provider}/model/{modelId}/converse-stream", context => converse.HandleAsync(context, stream: true));
        return app;
    }
}
