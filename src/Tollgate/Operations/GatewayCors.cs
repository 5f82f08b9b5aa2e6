namespace Tollgate.Operations;

/// <summary>
/// CORS for browser apps calling the gateway (<c>/v1</c>) directly: off unless
/// <c>Tollgate:Http:CorsOrigins</c> lists origins (comma-separated, or a JSON array in a settings file).
/// Only <c>/v1</c> answers cross-origin calls: the management API and the dashboard use a session cookie,
/// and a page on another origin has no business calling them. No credentials mode: gateway keys travel
/// in headers, which a listed origin may send (any header, so SDK headers pass the preflight).
/// </summary>
internal static class GatewayCors
{
    /// <summary>The configuration key.</summary>
    public const string OriginsKey = "Tollgate:Http:CorsOrigins";

    private const string PolicyName = "tollgate-gateway";

    /// <summary>Headers a browser app may read from an answer.</summary>
    private static readonly string[] ExposedHeaders = ["x-tollgate-request-id", "x-tollgate-provider", "x-tollgate-output-clamped"];

    /// <summary>Adds the policy when origins are configured.</summary>
    public static IServiceCollection AddGatewayCors(this IServiceCollection services, IConfiguration configuration)
    {
        var origins = ConfigList.Read(configuration, OriginsKey);
        if (origins.Count > 0)
        {
            services.AddCors(options => options.AddPolicy(PolicyName, policy => policy
                .WithOrigins([.. origins])
                .AllowAnyHeader()
                .AllowAnyMethod()
                .WithExposedHeaders(ExposedHeaders)
                .SetPreflightMaxAge(TimeSpan.FromHours(1))));
        }

        return services;
    }

    /// <summary>Applies the policy to <c>/v1</c> (preflights included) when origins are configured.</summary>
    public static WebApplication UseGatewayCors(this WebApplication app)
    {
        if (ConfigList.Read(app.Configuration, OriginsKey).Count > 0)
        {
            app.UseWhen(context => context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase), branch => branch.UseCors(PolicyName));
        }

        return app;
    }
}

/// <summary>A configuration list given either as one comma-separated value or as an array of values.</summary>
internal static class ConfigList
{
    /// <summary>The non-empty, trimmed entries of <paramref name="key"/>.</summary>
    public static IReadOnlyList<string> Read(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        var values = section.Value is { } single
            ? single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : section.GetChildren().Select(c => c.Value?.Trim()).OfType<string>().Where(v => v.Length > 0);
        return [.. values];
    }
}
