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

    private sealed class MigrateOnStart(MigrationRunner runner) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => runner.MigrateAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
