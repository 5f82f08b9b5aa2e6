using System.Net.Http.Json;
using Dapper;
using Tollgate.Storage;

namespace Tollgate.Analytics.Alerts;

/// <summary>
/// Sends queued alerts to Slack and Discord incoming webhooks in the background, retrying failures
/// with exponential backoff (<c>RetryBaseSeconds</c> × 2^n, at most an hour apart) up to
/// <c>MaxAttempts</c>. A node leases a delivery before sending it (by moving its next attempt a
/// minute ahead), so two nodes do not send the same message; a node that dies mid-send leaves it to
/// be retried when the lease ends (delivery is at least once).
/// </summary>
internal sealed partial class AlertDelivery(
    Database database, IHttpClientFactory http, AlertOptions options, TimeProvider time, ILogger<AlertDelivery> logger) : BackgroundService
{
    /// <summary>The named HTTP client for webhooks.</summary>
    public const string HttpClientName = "tollgate-alerts";

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromHours(1);
    private readonly SemaphoreSlim _wake = new(0, 1);

    private sealed record Due(string EventId, string Channel, string Url, long Attempts, string Message);

    /// <summary>Asks for a delivery pass now (new alerts were queued).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // a pass is already due
        }
    }

    /// <summary>The JSON body of a message for a channel (Slack: <c>text</c>; Discord: <c>content</c>, mentions off).</summary>
    public static object Payload(string channel, string message) => channel == "slack"
        ? new { text = message.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal) }
        : new { content = message.Length > 2000 ? message[..2000] : message, allowed_mentions = new { parse = Array.Empty<string>() } };

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = options.CheckInterval < TimeSpan.FromSeconds(5) ? options.CheckInterval : TimeSpan.FromSeconds(5);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SendDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPassFailed(logger, ex);
            }

            try
            {
                await _wake.WaitAsync(poll, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SendDueAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        List<Due> due;
        await using (var connection = await database.OpenAsync(ct).ConfigureAwait(false))
        {
            due = [.. await connection.QueryAsync<Due>(new CommandDefinition(
                """
                SELECT d.event_id AS EventId, d.channel, d.url, d.attempts, e.message
                FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= @now
                ORDER BY d.next_attempt_at LIMIT 50
                """,
                new { now }, cancellationToken: ct)).ConfigureAwait(false)];
        }

        foreach (var d in due)
        {
            if (!await LeaseAsync(d, now, ct).ConfigureAwait(false))
            {
                continue; // another node took it
            }

            string? error = null;
            try
            {
                using var client = http.CreateClient(HttpClientName);
                using var response = await client.PostAsJsonAsync(d.Url, Payload(d.Channel, d.Message), ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    error = $"HTTP {(int)response.StatusCode}";
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                error = ex.GetType().Name;
            }

            await FinishAsync(d, error, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> LeaseAsync(Due d, long now, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = @leaseUntil
            WHERE event_id = @EventId AND channel = @Channel AND status = 'pending' AND attempts = @Attempts
            """,
            new { d.EventId, d.Channel, d.Attempts, leaseUntil = now + (long)Lease.TotalMilliseconds }, cancellationToken: ct)).ConfigureAwait(false) == 1;
    }

    private async Task FinishAsync(Due d, string? error, CancellationToken ct)
    {
        var attempts = d.Attempts + 1;
        var delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, options.RetryBase.Ticks * (1L << (int)Math.Min(attempts - 1, 20))));
        var status = error is null ? "sent" : attempts >= options.MaxAttempts ? "failed" : "pending";
        if (error is not null)
        {
            LogSendFailed(logger, d.Channel, d.EventId, attempts, error);
        }

        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE alert_deliveries SET status = @status, next_attempt_at = @next, last_error = @error WHERE event_id = @EventId AND channel = @Channel",
            new { status, next = time.GetUtcNow().Add(delay).ToUnixTimeMilliseconds(), error, d.EventId, d.Channel }, cancellationToken: ct)).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A budget alert delivery pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending budget alert {EventId} to {Channel} failed (attempt {Attempt}): {Error}")]
    private static partial void LogSendFailed(ILogger logger, string channel, string eventId, long attempt, string error);
}
