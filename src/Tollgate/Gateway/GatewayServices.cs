namespace Tollgate.Gateway;

/// <summary>Registers the data plane.</summary>
public static class GatewayServices
{
    /// <summary>Adds the gateway's services.</summary>
    public static IServiceCollection AddTollgateGateway(this IServiceCollection services, IConfiguration configuration) => services;

    /// <summary>Maps the <c>/v1</c> endpoints.</summary>
    public static IEndpointRouteBuilder MapGatewayApi(this IEndpointRouteBuilder app) => app;
}
