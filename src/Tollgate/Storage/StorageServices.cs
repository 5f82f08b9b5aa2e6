using Dapper;

namespace Tollgate.Storage;

/// <summary>Registers the database and applies migrations before the server accepts requests.</summary>
public static class StorageServices
{
    /// <summary>Adds <see cref="Database"/> and the start-up migration.</summary>
    public static IServiceCollection AddTollgateStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => Database.FromConfiguration(configuration));
        services.AddSingleton<MigrationRunner>();
        // Hosted services start before Kestrel listens, so no request sees an old schema.
        services.AddHostedService<MigrateOnStart>();
        return services;
    }

    /// <summary><c>GET /health</c>: 200 once the database answers and migrations are applied.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", async (Database db, CancellationToken ct) =>
        {
            try
            {
                await using var connection = await db.OpenAsync(ct);
                var version = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) FROM schema_version");
                return Results.Ok(new { status = "ok", database = db.Dialect.ToString().ToLowerInvariant(), schemaVersion = version });
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
            {
                // The reason is for the operator's log, not for anonymous callers.
                app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Tollgate.Health").LogWarning(ex, "Health check: the database is unavailable");
                return Results.Json(new { status = "unavailable" }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        return app;
    }

    private sealed class MigrateOnStart(MigrationRunner runner) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => runner.MigrateAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
