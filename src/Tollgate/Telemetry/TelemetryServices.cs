using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Tollgate.Telemetry;

/// <summary>
/// OpenTelemetry for the gateway: metrics always (scraped at <c>/metrics</c> in Prometheus text), and
/// with <c>Tollgate:Telemetry:OtlpEndpoint</c> set, metrics and traces pushed over OTLP too. Traces
/// cover the gateway's own spans (one per request, one per provider attempt) and ASP.NET Core,
/// HttpClient and Npgsql; with no OTLP endpoint nothing records spans, so they cost nothing.
/// </summary>
internal static class TelemetryServices
{
    /// <summary>The scrape path.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Adds the meter provider and, with an OTLP endpoint, the tracer provider.</summary>
    public static IServiceCollection AddTollgateTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otlp = configuration["Tollgate:Telemetry:OtlpEndpoint"] is { Length: > 0 } endpoint ? new Uri(endpoint) : null;
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["Tollgate:Telemetry:ServiceName"] ?? "tollgate"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayMetrics.Name)
                    .AddView("gen_ai.client.token.usage", new ExplicitBucketHistogramConfiguration { Boundaries = GatewayMetrics.TokenBuckets })
                    .AddView("gen_ai.client.operation.duration", new ExplicitBucketHistogramConfiguration { Boundaries = GatewayMetrics.DurationBuckets })
                    .AddPrometheusExporter();
                // ASP.NET Core's and HttpClient's own metrics record several histograms per request,
                // about a tenth of a chat passthrough's CPU; the gateway's metrics already cover its
                // requests and provider calls, so these are opt-in.
                if (configuration.GetValue("Tollgate:Telemetry:HttpMetrics", false))
                {
                    metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                }

                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(o => o.Endpoint = otlp);
                }
            });
        if (otlp is not null)
        {
            builder.WithTracing(tracing => tracing
                .AddSource(GatewayMetrics.Name)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments(MetricsPath))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddOtlpExporter(o => o.Endpoint = otlp));
        }

        return services;
    }

    /// <summary>Maps <c>GET /metrics</c>.</summary>
    public static WebApplication MapTollgateMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
