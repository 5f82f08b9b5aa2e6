using System.Diagnostics;

namespace Tollgate.Telemetry;

/// <summary>
/// One Information line per request when it ends: method, path, status and duration, and for gateway
/// requests the request id, key id, model, provider, tokens and cost (<see cref="GatewayRequestTelemetry"/>).
/// Everything else a request logs is Debug or quieter. Paths are logged without their query string and
/// no header or body is, so secrets sent by clients never reach the log.
/// </summary>
internal static partial class AccessLog
{
    /// <summary>Adds the access line around every request.</summary>
    public static WebApplication UseAccessLog(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Tollgate.Access");
        // Without an Information listener the request goes straight on: no state machine, no timestamp.
        app.Use((context, next) => logger.IsEnabled(LogLevel.Information) ? LoggedAsync(logger, context, next) : next(context));
        return app;
    }

    private static async Task LoggedAsync(ILogger logger, HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            if (!context.Request.Path.StartsWithSegments(TelemetryServices.MetricsPath))
            {
                Write(logger, context, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    }

    private static void Write(ILogger logger, HttpContext context, double ms)
    {
        var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
        var path = context.Request.Path.Value ?? "";
        var duration = Math.Round(ms, 1);
        if (context.Features.Get<GatewayRequestTelemetry>() is { } gateway)
        {
            var cost = Budgets.Money.ToWire(gateway.CostPico);
            LogGateway(logger, context.Request.Method, path, status, gateway.RequestId, gateway.KeyId, gateway.Model, gateway.Provider,
                gateway.InputTokens, gateway.OutputTokens, cost, gateway.Outcome, duration);
        }
        else
        {
            LogRequest(logger, context.Request.Method, path, status, duration);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, EventId = 1, EventName = "GatewayAccess",
        Message = "{Method} {Path} {Status} request={GatewayRequestId} key={KeyId} model={Model} provider={Provider} input_tokens={InputTokens} output_tokens={OutputTokens} cost={Cost} outcome={Outcome} {DurationMs} ms")]
    private static partial void LogGateway(ILogger logger, string method, string path, int status, string gatewayRequestId, string keyId, string model, string provider,
        long inputTokens, long outputTokens, string cost, string outcome, double durationMs);

    [LoggerMessage(Level = LogLevel.Information, EventId = 2, EventName = "Access", Message = "{Method} {Path} {Status} {DurationMs} ms")]
    private static partial void LogRequest(ILogger logger, string method, string path, int status, double durationMs);
}
