namespace Tollgate.Analytics.Alerts;

/// <summary>Registers the alert settings store, the cap monitor and the webhook delivery service.</summary>
internal static class AlertServices
{
    /// <summary>Adds the alert services (both run in the background, never on a request).</summary>
    public static IServiceCollection AddTollgateAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(AlertOptions.From(configuration));
        services.AddSingleton<AlertSettingsStore>();
        services.AddHttpClient(AlertDelivery.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<AlertDelivery>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertDelivery>());
        services.AddSingleton<AlertMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertMonitor>());
        return services;
    }
}
