using Dapper;
using Tollgate.Gateway.Routing;
using Tollgate.Storage;

namespace Tollgate.Operations;

/// <summary>
/// <c>GET /health</c> (live: the process answers) and <c>GET /health/ready</c> (the database answers, every
/// migration this build knows is applied, the catalog has models, and the server is not shutting down).
/// Both are anonymous, so they say only <c>ok</c> or <c>unavailable</c> with a short reason: no connection
/// string, version or exception text; the cause goes to the operator's log.
/// </summary>
internal static partial class HealthEndpoints
{
    /// <summary>Maps both health routes.</summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Json(new HealthAnswer("ok", null)))
            .WithTags("Health").WithSummary("Liveness: 200 while the process serves requests.")
            .Produces<HealthAnswer>();
        app.MapGet("/health/ready", ReadyAsync)
            .WithTags("Health").WithSummary("Readiness: 200 when the database answers, migrations are applied and the catalog is loaded; otherwise 503 with a short reason.")
            .Produces<HealthAnswer>()
            .Produces<HealthAnswer>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> ReadyAsync(
        Database db, ModelRouter router, IHostApplicationLifetime lifetime, ILoggerFactory loggers, CancellationToken ct)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Unavailable("shutting down");
        }

        if (router.Catalog.Models.Count == 0)
        {
            return Unavailable("catalog empty");
        }

        long applied;
        try
        {
            await using var connection = await db.OpenAsync(ct);
            applied = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            LogDatabaseUnavailable(loggers.CreateLogger("Tollgate.Health"), ex);
            return Unavailable("database unreachable");
        }

        return applied < MigrationRunner.Load(db.Dialect).Max(m => m.Version)
            ? Unavailable("migrations pending")
            : Results.Json(new HealthAnswer("ok", null));
    }

    private static IResult Unavailable(string reason) =>
        Results.Json(new HealthAnswer("unavailable", reason), statusCode: StatusCodes.Status503ServiceUnavailable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Readiness check: the database is unavailable")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception);
}

/// <summary>A health answer.</summary>
/// <param name="Status"><c>ok</c> or <c>unavailable</c>.</param>
/// <param name="Reason">Why not ready: <c>database unreachable</c>, <c>migrations pending</c>, <c>catalog empty</c>, <c>shutting down</c>.</param>
internal sealed record HealthAnswer(
    [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
    [property: System.Text.Json.Serialization.JsonPropertyName("reason"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Reason);
