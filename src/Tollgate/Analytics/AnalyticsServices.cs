using Tollgate.Analytics.Alerts;

namespace Tollgate.Analytics;

/// <summary>Registers the analytics services and the rollup rebuild command.</summary>
public static class AnalyticsServices
{
    /// <summary>The command-line argument that rebuilds the rollups from the ledger and exits.</summary>
    public const string RebuildCommand = "rebuild-rollups";

    /// <summary>Adds the rollup readers, the cap readout and the alert services.</summary>
    public static IServiceCollection AddTollgateAnalytics(this IServiceCollection services, IConfiguration configuration)
    {
        // Closed days' org-wide sums in memory, exact across nodes (see ClosedDayCache); off with
        // Tollgate:Analytics:DayCache=false (every read then goes to the facets).
        services.AddSingleton(new ClosedDayCache { Enabled = configuration.GetValue("Tollgate:Analytics:DayCache", true) });
        services.AddSingleton<UsageQueries>();
        services.AddSingleton<AnalyticsDirectory>();
        services.AddSingleton<CapReadout>();
        services.AddSingleton<ActivityReport>();
        services.AddTollgateAlerts(configuration);
        return services;
    }

    /// <summary>Maps the analytics and alert routes.</summary>
    public static IEndpointRouteBuilder MapAnalytics(this IEndpointRouteBuilder app)
    {
        app.MapAnalyticsApi();
        app.MapAlertsApi();
        return app;
    }

    /// <summary>
    /// <c>rebuild-rollups</c>: applies migrations, recomputes the rollups from the ledger and returns
    /// the process exit code (the server is not started).
    /// </summary>
    public static async Task<int> RebuildAsync(WebApplication app)
    {
        var runner = app.Services.GetRequiredService<Tollgate.Storage.MigrationRunner>();
        await runner.MigrateAsync();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var rows = await Rollups.RebuildAsync(app.Services.GetRequiredService<Tollgate.Storage.Database>());
        await Console.Out.WriteLineAsync(FormattableString.Invariant(
            $"Rebuilt the rollups from the ledger: {rows} 15-minute rows in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s."));
        return 0;
    }
}
