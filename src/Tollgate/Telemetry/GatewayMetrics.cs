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

    // Tollgate's own.
    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("tollgate.requests", "{request}", "Gateway requests by endpoint, model, provider and outcome.");
    private static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>("tollgate.request.duration", "s", "Gateway request duration, to the last byte.");
    private static readonly Histogram<double> TimeToFirstByte = Meter.CreateHistogram<double>("tollgate.request.time_to_first_byte", "s", "Time until the response headers went to the client.");
    private static readonly Counter<long> Tokens = Meter.CreateCounter<long>("tollgate.tokens", "{token}", "Tokens charged, by kind (input, cached_input, cache_write, output, reasoning).");
    private static readonly Counter<double> Cost = Meter.CreateCounter<double>("tollgate.cost", "{USD}", "Cost charged to the ledger, in US dollars.");
    private static readonly Counter<long> Denials = Meter.CreateCounter<long>("tollgate.admission.denials", "{request}", "Requests denied at admission, by scope, cap and reason.");
    private static readonly Counter<long> Clamps = Meter.CreateCounter<long>("tollgate.admission.clamps", "{request}", "Requests admitted with their output clamped to fit a budget.");
    private static readonly UpDownCounter<long> ReservationsInFlight = Meter.CreateUpDownCounter<long>("tollgate.reservations.in_flight", "{reservation}", "Reservations held by requests in progress.");
    private static readonly UpDownCounter<double> Reserved = Meter.CreateUpDownCounter<double>("tollgate.reservations.reserved", "{USD}", "Amount held by reservations in progress, in US dollars.");
    private static readonly Histogram<double> LedgerWrite = Meter.CreateHistogram<double>("tollgate.ledger.write.duration", "s", "Time to write one ledger batch.");
    private static readonly Histogram<long> LedgerBatch = Meter.CreateHistogram<long>("tollgate.ledger.batch.size", "{row}", "Rows per ledger batch.");
    private static readonly Counter<long> Fallbacks = Meter.CreateCounter<long>("tollgate.fallbacks", "{attempt}", "Attempts that failed over to the next provider.");
    private static readonly Counter<long> UpstreamErrors = Meter.CreateCounter<long>("tollgate.upstream.errors", "{attempt}", "Provider attempts that failed, by provider and HTTP status (0: no answer).");
    private static readonly Counter<long> KeepAlives = Meter.CreateCounter<long>("tollgate.stream.keepalives", "{event}", "Keepalive comments sent on streams.");
    private static readonly UpDownCounter<long> OpenStreams = Meter.CreateUpDownCounter<long>("tollgate.streams.open", "{stream}", "Streams open to clients.");

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

        AddTokens(entry.InputTokens, "input", model, provider);
        AddTokens(entry.CachedInputTokens, "cached_input", model, provider);
        AddTokens(entry.CacheWriteTokens, "cache_write", model, provider);
        AddTokens(entry.OutputTokens, "output", model, provider);
        AddTokens(entry.ReasoningTokens, "reasoning", model, provider);
        if (entry.CostPico > 0)
        {
            Cost.Add((double)Money.FromPico(entry.CostPico), model, provider);
        }

        if (entry.Status is LedgerStatus.UpstreamError or LedgerStatus.Failed)
        {
            UpstreamErrors.Add(1, provider, new("http.response.status_code", entry.HttpStatus));
        }

        if (fallsBack)
        {
            Fallbacks.Add(1, provider);
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
        TagList tags = new() { { "tollgate.endpoint", endpoint }, { "gen_ai.request.model", model }, { "gen_ai.provider.name", provider }, { "tollgate.outcome", outcome } };
        Requests.Add(1, tags);
        RequestDuration.Record(seconds, tags);
    }

    internal static void FirstByte(string endpoint, double seconds) => TimeToFirstByte.Record(seconds, new KeyValuePair<string, object?>("tollgate.endpoint", endpoint));

    internal static void Denied(string model, BudgetDenial denial) =>
        Denials.Add(1, new("gen_ai.request.model", model), new("tollgate.scope", denial.Cap?.Scope ?? "none"), new("tollgate.cap", denial.Cap?.Cap ?? "none"),
            new("tollgate.reason", denial.Code));

    internal static void Clamped() => Clamps.Add(1);

    internal static void Hold(string model, long pico, int sign)
    {
        ReservationsInFlight.Add(sign, new KeyValuePair<string, object?>("gen_ai.request.model", model));
        Reserved.Add(sign * (double)Money.FromPico(pico), new KeyValuePair<string, object?>("gen_ai.request.model", model));
    }

    internal static void Stream(string model, int sign) => OpenStreams.Add(sign, new KeyValuePair<string, object?>("gen_ai.request.model", model));

    internal static void KeepAlivesSent(int count)
    {
        if (count > 0)
        {
            KeepAlives.Add(count);
        }
    }

    private static void AddTokens(long count, string kind, KeyValuePair<string, object?> model, KeyValuePair<string, object?> provider)
    {
        if (count > 0)
        {
            Tokens.Add(count, new("tollgate.token.kind", kind), model, provider);
        }
    }

    private static string ErrorType(LedgerEntry entry) => entry.Status switch
    {
        LedgerStatus.Cancelled => "cancelled",
        LedgerStatus.UpstreamError => entry.HttpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => entry.Error is { } e && e.Contains("timeout", StringComparison.Ordinal) ? "timeout" : "failed",
    };
}
