using System.Diagnostics;
using System.Diagnostics.Metrics;
using Tollgate.Budgets;

namespace Tollgate.Telemetry;

/// <summary>
/// The gateway's metrics and spans. Names follow the OpenTelemetry GenAI semantic conventions where
/// they define one (<c>gen_ai.client.token.usage</c>, <c>gen_ai.client.operation.duration</c> with
/// <c>gen_ai.operation.name</c>, <c>gen_ai.request.model</c>, <c>gen_ai.provider.name</c>,
/// <c>gen_ai.token.type</c>, <c>error.type</c>); Tollgate's own are under <c>tollgate.*</c>.
/// The meter is static because the ledger writer and tests construct parts of the pipeline outside
/// dependency injection; an instrument with no listener costs one branch.
/// </summary>
internal static class GatewayMetrics
{
    /// <summary>The meter and activity source name exporters subscribe to.</summary>
    public const string Name = "Tollgate";

    /// <summary>Bucket boundaries the GenAI conventions give for token counts.</summary>
    public static readonly double[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>Bucket boundaries the GenAI conventions give for operation durations, in seconds.</summary>
    public static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>Spans of gateway requests and provider attempts.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    // GenAI semantic conventions.
    private static readonly Histogram<long> TokenUsage = Meter.CreateHistogram<long>("gen_ai.client.token.usage", "{token}", "Input and output tokens per provider call.");
    private static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>("gen_ai.client.operation.duration", "s", "Duration of each provider call.");

    // Tollgate's own. Counters and gauges bumped per request keep running totals in cells that
    // observable instruments read when an exporter collects (MetricCells); histograms record directly.
    private static readonly MetricCells<(string Endpoint, string Model, string Provider, string Outcome)> RequestCells =
        new(k => [new("tollgate.endpoint", k.Endpoint), new("gen_ai.request.model", k.Model), new("gen_ai.provider.name", k.Provider), new("tollgate.outcome", k.Outcome)]);
    private static readonly MetricCells<(string Kind, string Model, string Provider)> TokenCells =
        new(k => [new("tollgate.token.kind", k.Kind), new("gen_ai.request.model", k.Model), new("gen_ai.provider.name", k.Provider)]);
    private static readonly MetricCells<(string Model, string Provider)> CostCells =
        new(k => [new("gen_ai.request.model", k.Model), new("gen_ai.provider.name", k.Provider)]);
    private static readonly MetricCells<(string Model, string Scope, string Cap, string Reason)> DenialCells =
        new(k => [new("gen_ai.request.model", k.Model), new("tollgate.scope", k.Scope), new("tollgate.cap", k.Cap), new("tollgate.reason", k.Reason)]);
    private static readonly MetricCells<string> HoldCells = new(model => [new("gen_ai.request.model", model)]);
    private static readonly MetricCells<string> StreamCells = new(model => [new("gen_ai.request.model", model)]);
    private static readonly MetricCells<string> FallbackCells = new(provider => [new("gen_ai.provider.name", provider)]);
    private static readonly MetricCells<(string Provider, int Status)> UpstreamErrorCells =
        new(k => [new("gen_ai.provider.name", k.Provider), new("http.response.status_code", k.Status)]);
    private static readonly MetricCell ClampCell = new([]);
    private static readonly MetricCell KeepAliveCell = new([]);

    private static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>("tollgate.request.duration", "s", "Gateway request duration, to the last byte.");
    private static readonly Histogram<double> TimeToFirstByte = Meter.CreateHistogram<double>("tollgate.request.time_to_first_byte", "s", "Time until the response headers went to the client.");
    private static readonly Histogram<double> LedgerWrite = Meter.CreateHistogram<double>("tollgate.ledger.write.duration", "s", "Time to write one ledger batch.");
    private static readonly Histogram<long> LedgerBatch = Meter.CreateHistogram<long>("tollgate.ledger.batch.size", "{row}", "Rows per ledger batch.");

    static GatewayMetrics()
    {
        Meter.CreateObservableCounter("tollgate.requests", RequestCells.Totals, "{request}", "Gateway requests by endpoint, model, provider and outcome.");
        Meter.CreateObservableCounter("tollgate.tokens", TokenCells.Totals, "{token}", "Tokens charged, by kind (input, cached_input, cache_write, output, reasoning).");
        Meter.CreateObservableCounter("tollgate.cost", CostCells.Dollars, "{USD}", "Cost charged to the ledger, in US dollars.");
        Meter.CreateObservableCounter("tollgate.admission.denials", DenialCells.Totals, "{request}", "Requests denied at admission, by scope, cap and reason.");
        Meter.CreateObservableCounter("tollgate.admission.clamps", () => Volatile.Read(ref ClampCell.Total), "{request}", "Requests admitted with their output clamped to fit a budget.");
        Meter.CreateObservableUpDownCounter("tollgate.reservations.in_flight", HoldCells.Totals, "{reservation}", "Reservations held by requests in progress.");
        Meter.CreateObservableUpDownCounter("tollgate.reservations.reserved", HoldCells.Dollars, "{USD}", "Amount held by reservations in progress, in US dollars.");
        Meter.CreateObservableCounter("tollgate.fallbacks", FallbackCells.Totals, "{attempt}", "Attempts that failed over to the next provider.");
        Meter.CreateObservableCounter("tollgate.upstream.errors", UpstreamErrorCells.Totals, "{attempt}", "Provider attempts that failed, by provider and HTTP status (0: no answer).");
        Meter.CreateObservableCounter("tollgate.stream.keepalives", () => Volatile.Read(ref KeepAliveCell.Total), "{event}", "Keepalive comments sent on streams.");
        Meter.CreateObservableUpDownCounter("tollgate.streams.open", StreamCells.Totals, "{stream}", "Streams open to clients.");
    }

    /// <summary>Starts measuring one gateway request; dispose it when the request is over.</summary>
    public static GatewayRequestTelemetry StartRequest(HttpContext context, string endpoint)
    {
        var telemetry = new GatewayRequestTelemetry(context, endpoint, Source.StartActivity($"gateway {endpoint}", ActivityKind.Internal));
        context.Features.Set(telemetry);
        return telemetry;
    }

    /// <summary>A span for one provider attempt (null when nobody listens).</summary>
    public static Activity? StartAttempt(string provider, string model, int attempt)
    {
        var activity = Source.StartActivity($"chat {model}", ActivityKind.Client);
        activity?.SetTag("gen_ai.operation.name", "chat");
        activity?.SetTag("gen_ai.request.model", model);
        activity?.SetTag("gen_ai.provider.name", provider);
        activity?.SetTag("tollgate.attempt", attempt);
        return activity;
    }

    /// <summary>Records one settled attempt: its tokens, cost, duration, and whether it failed or fell back.</summary>
    public static void Attempt(HttpContext context, LedgerEntry entry, bool fallsBack)
    {
        context.Features.Get<GatewayRequestTelemetry>()?.OnAttempt(entry);
        var model = new KeyValuePair<string, object?>("gen_ai.request.model", entry.Model);
        var provider = new KeyValuePair<string, object?>("gen_ai.provider.name", entry.Provider);
        var operation = new KeyValuePair<string, object?>("gen_ai.operation.name", "chat");
        var error = entry.Status == LedgerStatus.Ok ? null : ErrorType(entry);
        if (error is null)
        {
            OperationDuration.Record(entry.LatencyMs / 1000.0, operation, model, provider);
        }
        else
        {
            OperationDuration.Record(entry.LatencyMs / 1000.0, operation, model, provider, new("error.type", error));
        }

        if (entry.InputTokens > 0 || entry.OutputTokens > 0)
        {
            TokenUsage.Record(entry.InputTokens, operation, model, provider, new("gen_ai.token.type", "input"));
            TokenUsage.Record(entry.OutputTokens, operation, model, provider, new("gen_ai.token.type", "output"));
        }

        AddTokens(entry.InputTokens, "input", entry);
        AddTokens(entry.CachedInputTokens, "cached_input", entry);
        AddTokens(entry.CacheWriteTokens, "cache_write", entry);
        AddTokens(entry.OutputTokens, "output", entry);
        AddTokens(entry.ReasoningTokens, "reasoning", entry);
        if (entry.CostPico > 0)
        {
            CostCells.For((entry.Model, entry.Provider)).AddAmount(entry.CostPico);
        }

        if (entry.Status is LedgerStatus.UpstreamError or LedgerStatus.Failed)
        {
            UpstreamErrorCells.For((entry.Provider, entry.HttpStatus)).Add(1);
        }

        if (fallsBack)
        {
            FallbackCells.For(entry.Provider).Add(1);
        }

        if (Activity.Current is { } span && span.Source == Source && span.Kind == ActivityKind.Client)
        {
            span.SetTag("gen_ai.usage.input_tokens", entry.InputTokens);
            span.SetTag("gen_ai.usage.output_tokens", entry.OutputTokens);
            span.SetTag("http.response.status_code", entry.HttpStatus);
            span.SetTag("tollgate.cost", Money.ToWire(entry.CostPico));
            if (error is not null)
            {
                span.SetTag("error.type", error);
                span.SetStatus(ActivityStatusCode.Error, entry.Error);
            }
        }
    }

    /// <summary>Records one ledger batch written.</summary>
    public static void LedgerBatchWritten(int rows, TimeSpan elapsed)
    {
        LedgerBatch.Record(rows);
        LedgerWrite.Record(elapsed.TotalSeconds);
    }

    internal static void RequestEnded(string endpoint, string model, string provider, string outcome, double seconds)
    {
        var cell = RequestCells.For((endpoint, model, provider, outcome));
        cell.Add(1);
        RequestDuration.Record(seconds, cell.Tags);
    }

    internal static void FirstByte(string endpoint, double seconds) => TimeToFirstByte.Record(seconds, new KeyValuePair<string, object?>("tollgate.endpoint", endpoint));

    internal static void Denied(string model, BudgetDenial denial) =>
        DenialCells.For((model, denial.Cap?.Scope ?? "none", denial.Cap?.Cap ?? "none", denial.Code)).Add(1);

    internal static void Clamped() => ClampCell.Add(1);

    internal static void Hold(string model, long pico, int sign)
    {
        var cell = HoldCells.For(model);
        cell.Add(sign);
        cell.AddAmount(sign * pico);
    }

    internal static void Stream(string model, int sign) => StreamCells.For(model).Add(sign);

    internal static void KeepAlivesSent(int count)
    {
        if (count > 0)
        {
            KeepAliveCell.Add(count);
        }
    }

    private static void AddTokens(long count, string kind, LedgerEntry entry)
    {
        if (count > 0)
        {
            TokenCells.For((kind, entry.Model, entry.Provider)).Add(count);
        }
    }

    private static string ErrorType(LedgerEntry entry) => entry.Status switch
    {
        LedgerStatus.Cancelled => "cancelled",
        LedgerStatus.UpstreamError => entry.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => entry.Error is { } e && e.Contains("timeout", StringComparison.Ordinal) ? "timeout" : "failed",
    };
}
