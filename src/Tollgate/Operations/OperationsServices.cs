namespace Tollgate.Operations;

/// <summary>
/// What running Tollgate in production needs around the product itself: answers for malformed input,
/// telemetry, logs, health, the API reference and shutdown.
/// </summary>
public static class OperationsServices
{
    /// <summary>Registers the operations services; call after the feature services.</summary>
    public static IServiceCollection AddTollgateOperations(this IServiceCollection services, IConfiguration configuration)
    {
        Tollgate.Telemetry.TelemetryServices.AddTollgateTelemetry(services, configuration);
        Tollgate.Telemetry.LoggingSetup.AddTollgateLogging(services, configuration);
        services.AddExceptionHandler<BadRequestProblems>();
        AddShutdown(services, configuration);
        services.AddApiReference();
        services.AddGatewayCors(configuration);
        services.AddHostedService<StartupReport>();
        // Routing answers a body of another media type with a bare 415 before any endpoint runs; the
        // problem it writes says what is expected.
        services.Configure<ProblemDetailsOptions>(options =>
        {
            var previous = options.CustomizeProblemDetails;
            options.CustomizeProblemDetails = context =>
            {
                previous?.Invoke(context);
                if (context.ProblemDetails.Status == StatusCodes.Status415UnsupportedMediaType && context.ProblemDetails.Detail is null)
                {
                    var contentType = context.HttpContext.Request.ContentType;
                    context.ProblemDetails.Detail = $"The request body must be JSON (Content-Type: application/json), not '{(string.IsNullOrEmpty(contentType) ? "none" : contentType)}'.";
                }
            };
        });
        return services;
    }

    private static void AddShutdown(IServiceCollection services, IConfiguration configuration)
    {
        var drain = DrainOptions.FromConfiguration(configuration);
        services.AddSingleton(drain);
        services.AddSingleton<ShutdownDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownDrain>());
        services.Configure<HostOptions>(options => options.ShutdownTimeout = drain.Drain + ShutdownDrain.SettleGrace);
    }

    /// <summary>Adds the operations middleware; call right after the exception handler.</summary>
    public static WebApplication UseTollgateOperations(this WebApplication app)
    {
        Tollgate.Telemetry.AccessLog.UseAccessLog(app);
        app.UseGatewayCors();
        app.UseListCursorGuard();
        app.UseJsonBodyCheck();
        Tollgate.Telemetry.TelemetryServices.MapTollgateMetrics(app);
        app.MapApiReference();
        return app;
    }
}
