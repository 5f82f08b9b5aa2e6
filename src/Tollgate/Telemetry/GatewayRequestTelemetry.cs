using System.Diagnostics;
using Tollgate.Budgets;

namespace Tollgate.Telemetry;

/// <summary>
/// What the metrics need to know about one gateway request, filled in as it goes: its model, the
/// reservation it holds, the stream it opened, how its last attempt ended. Disposing it records the
/// request (count, duration and outcome), ends its span, and gives back the reservation and stream
/// gauges.
/// </summary>
internal sealed class GatewayRequestTelemetry : IDisposable
{
    private readonly string _endpoint;
    private readonly Activity? _activity;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly HttpContext _context;
    private long _heldPico = -1;
    private string _heldModel = "";
    private Gateway.Streaming.SseResponse? _stream;
    private LedgerStatus? _lastStatus;
    private bool _denied;

    internal GatewayRequestTelemetry(HttpContext context, string endpoint, Activity? activity)
    {
        _context = context;
        _endpoint = endpoint;
        _activity = activity;
        activity?.SetTag("tollgate.endpoint", endpoint);
        context.Response.OnStarting(static state =>
        {
            var self = (GatewayRequestTelemetry)state;
            GatewayMetrics.FirstByte(self._endpoint, Stopwatch.GetElapsedTime(self._started).TotalSeconds);
            return Task.CompletedTask;
        }, this);
    }

    /// <summary>The model the client asked for (once the body is read).</summary>
    public string Model { get; set; } = "";

    /// <summary>The provider of the last attempt.</summary>
    public string Provider { get; private set; } = "";

    /// <summary>The request was admitted: it holds <paramref name="reservation"/> and, when streaming, <paramref name="stream"/>.</summary>
    public void Admitted(string model, Reservation reservation, Gateway.Streaming.SseResponse? stream)
    {
        Model = model;
        _heldPico = reservation.ReservedPico;
        _heldModel = model;
        GatewayMetrics.Hold(model, _heldPico, +1);
        if (reservation.GrantedMaxOutputTokens is not null)
        {
            GatewayMetrics.Clamped();
        }

        _stream = stream;
        if (stream is not null)
        {
            GatewayMetrics.Stream(model, +1);
        }
    }

    /// <summary>The request was denied at admission.</summary>
    public void Denied(string model, BudgetDenial denial)
    {
        Model = model;
        _denied = true;
        GatewayMetrics.Denied(model, denial);
        _activity?.SetTag("tollgate.denial", denial.Code);
    }

    /// <summary>The gateway's request id (<c>x-tollgate-request-id</c>), once an attempt settled.</summary>
    public string RequestId { get; private set; } = "";

    /// <summary>The key the request was made with, once an attempt settled.</summary>
    public string KeyId { get; private set; } = "";

    /// <summary>Input tokens charged over every attempt.</summary>
    public long InputTokens { get; private set; }

    /// <summary>Output tokens charged over every attempt.</summary>
    public long OutputTokens { get; private set; }

    /// <summary>Cost charged over every attempt, in pico-dollars.</summary>
    public long CostPico { get; private set; }

    /// <summary>How the request ended (set when it is disposed).</summary>
    public string Outcome { get; private set; } = "";

    internal void OnAttempt(LedgerEntry entry)
    {
        Model = entry.Model;
        Provider = entry.Provider;
        RequestId = entry.RequestId;
        KeyId = entry.KeyId;
        InputTokens += entry.InputTokens;
        OutputTokens += entry.OutputTokens;
        CostPico += entry.CostPico;
        _lastStatus = entry.Status;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_heldPico >= 0)
        {
            GatewayMetrics.Hold(_heldModel, _heldPico, -1);
        }

        if (_stream is not null)
        {
            GatewayMetrics.Stream(_heldModel, -1);
            GatewayMetrics.KeepAlivesSent(_stream.PingsSent);
        }

        var status = _context.Response.StatusCode;
        var outcome = _denied ? "denied"
            : _lastStatus switch
            {
                LedgerStatus.Ok => "ok",
                LedgerStatus.Cancelled => "cancelled",
                LedgerStatus.UpstreamError => "upstream_error",
                LedgerStatus.Failed => "failed",
                _ => status == StatusCodes.Status401Unauthorized ? "unauthorized" : status >= 500 ? "error" : "rejected",
            };
        Outcome = outcome;
        if (RequestId.Length == 0)
        {
            RequestId = _context.Response.Headers["x-tollgate-request-id"].ToString();
        }

        GatewayMetrics.RequestEnded(_endpoint, Model, Provider, outcome, Stopwatch.GetElapsedTime(_started).TotalSeconds);
        if (_activity is not null)
        {
            _activity.SetTag("gen_ai.request.model", Model);
            _activity.SetTag("gen_ai.provider.name", Provider);
            _activity.SetTag("tollgate.outcome", outcome);
            _activity.SetTag("http.response.status_code", status);
            if (outcome is "failed" or "upstream_error" or "error")
            {
                _activity.SetStatus(ActivityStatusCode.Error, outcome);
            }

            _activity.Dispose();
        }
    }
}
