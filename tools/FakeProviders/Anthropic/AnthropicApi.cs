namespace Tollgate.FakeProviders.Anthropic;

/// <summary>
/// The Anthropic routes. A client's base URL is <c>http://host:port</c> (provider <c>anthropic</c>) or
/// <c>http://host:port/{provider}</c>; it posts to <c>{base}/v1/messages</c>.
/// </summary>
internal static class AnthropicApi
{
    public static IEndpointRouteBuilder MapAnthropicApi(this IEndpointRouteBuilder app)
    {
        var messages = app.ServiceProvider.GetRequiredService<MessagesEndpoint>();
        app.MapPost("/v1/messages", messages.HandleAsync);
        app.MapPost("/{provider}/v1/messages", messages.HandleAsync);
        app.MapPost("/v1/messages/count_tokens", messages.CountTokensAsync);
        app.MapPost("/{provider}/v1/messages/count_tokens", messages.CountTokensAsync);
        return app;
    }
}
