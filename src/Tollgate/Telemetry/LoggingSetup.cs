using Microsoft.Extensions.Logging.Console;

namespace Tollgate.Telemetry;

/// <summary>
/// Console logs that stay quiet in production: the access line per request at Information, the
/// framework's per-request lines at Warning unless configured otherwise, the request's scope (its id
/// and path) on every line, and <c>Tollgate:Logging:Format=json</c> for one JSON object per line.
/// </summary>
internal static class LoggingSetup
{
    /// <summary>Configures the console logger from <c>Tollgate:Logging:*</c>.</summary>
    public static IServiceCollection AddTollgateLogging(this IServiceCollection services, IConfiguration configuration)
    {
        var json = string.Equals(configuration["Tollgate:Logging:Format"], "json", StringComparison.OrdinalIgnoreCase);
        services.AddLogging(logging =>
        {
            if (json)
            {
                logging.AddJsonConsole(options =>
                {
                    options.IncludeScopes = true;
                    options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                    options.UseUtcTimestamp = true;
                });
            }
            else
            {
                logging.AddSimpleConsole(options =>
                {
                    options.IncludeScopes = true;
                    options.SingleLine = true;
                    options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                    options.UseUtcTimestamp = true;
                });
            }

            // The hosting layer's "Request starting/finished" lines repeat the access line at Information.
            if (configuration["Logging:LogLevel:Microsoft.AspNetCore"] is null)
            {
                logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            }
        });
        if (json)
        {
            services.Configure<ConsoleLoggerOptions>(options => options.FormatterName = ConsoleFormatterNames.Json);
        }

        return services;
    }
}
