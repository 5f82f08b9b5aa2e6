using System.Globalization;
using Dapper;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Storage;

namespace Tollgate.Analytics.Alerts;

/// <summary>Alert settings from configuration (<c>Tollgate:Alerts:*</c>).</summary>
internal sealed record AlertOptions(TimeSpan CheckInterval, TimeSpan RetryBase, int MaxAttempts)
{
    public const string AllowLoopbackHttpKey = "Tollgate:Alerts:AllowLoopbackHttp";

    public static AlertOptions From(IConfiguration configuration) => new(
        TimeSpan.FromSeconds(configuration.GetValue("Tollgate:Alerts:CheckIntervalSeconds", 30.0)),
        TimeSpan.FromSeconds(configuration.GetValue("Tollgate:Alerts:RetryBaseSeconds", 5.0)),
        configuration.GetValue("Tollgate:Alerts:MaxAttempts", 8));
}

/// <summary>
/// Watches the caps of members who spent recently, in orgs with alert webhooks, off the request
/// path. A cap at or past a threshold claims <c>(scope, id, cap, window start, threshold)</c> in
/// <c>alert_events</c>; the node whose insert wins queues the message, so each threshold alerts once
/// per window across nodes and restarts. When one check finds several thresholds newly crossed
/// (80 and 100 by one large request), all are claimed and only the highest is sent.
/// </summary>
internal sealed partial class AlertMonitor(
    AlertSettingsStore settings, CapReadout caps, AnalyticsDirectory directory, Database database, AlertDelivery delivery,
    AlertOptions options, TimeProvider time, ILogger<AlertMonitor> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await CheckAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogCheckFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    /// <summary>One pass over every org with webhooks.</summary>
    public async Task CheckAsync(CancellationToken ct)
    {
        var queued = false;
        foreach (var org in await settings.ListConfiguredAsync(ct).ConfigureAwait(false))
        {
            var since = Rollups.Floor(time.GetUtcNow().ToUnixTimeMilliseconds(), Rollups.HourMs) - Rollups.HourMs;
            List<string> active;
            await using (var connection = await database.OpenAsync(ct).ConfigureAwait(false))
            {
                active = [.. await connection.QueryAsync<string>(new CommandDefinition(
                    "SELECT DISTINCT value FROM usage_facets WHERE org_id = @orgId AND dimension = 'member' AND grain = @grain AND bucket_start >= @since",
                    new { orgId = org.OrgId, grain = Rollups.HourMs, since }, cancellationToken: ct)).ConfigureAwait(false)];
            }

            if (active.Count == 0)
            {
                continue;
            }

            var members = await directory.MembersAsync(org.OrgId, ct).ConfigureAwait(false);
            foreach (var memberId in active)
            {
                if (!members.TryGetValue(memberId, out var member) || member.Removed)
                {
                    continue;
                }

                foreach (var reading in await caps.ReadAsync(memberId, ct).ConfigureAwait(false))
                {
                    queued |= await ClaimAsync(org, member, reading, ct).ConfigureAwait(false);
                }
            }
        }

        if (queued)
        {
            delivery.Wake();
        }
    }

    private async Task<bool> ClaimAsync(AlertSettings org, AnalyticsDirectory.MemberInfo member, CapReading reading, CancellationToken ct)
    {
        var status = reading.Status;
        var crossed = org.Thresholds.Where(t => status.LimitPico == 0 || status.UsedPico * 100m >= t * (decimal)status.LimitPico).ToList();
        if (crossed.Count == 0)
        {
            return false;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await Database.BeginWriteAsync(connection, ct).ConfigureAwait(false);
        (string Id, int Threshold)? highest = null;
        foreach (var threshold in crossed)
        {
            var id = Tollgate.Hosting.Ids.New("alert");
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO alert_events (id, org_id, scope, scope_id, cap, window_start, threshold, message, created_at)
                VALUES (@id, @orgId, @scope, @scopeId, @cap, @windowStart, @threshold, @message, @now)
                ON CONFLICT DO NOTHING
                """,
                new
                {
                    id, orgId = org.OrgId, scope = reading.Scope, scopeId = reading.ScopeId, cap = status.Cap, windowStart = reading.WindowStart,
                    threshold, message = Message(member, reading, threshold), now,
                },
                tx, cancellationToken: ct)).ConfigureAwait(false);
            if (inserted == 1)
            {
                highest = (id, threshold);
            }
        }

        if (highest is { } send)
        {
            foreach (var (channel, url) in new[] { ("slack", org.SlackWebhookUrl), ("discord", org.DiscordWebhookUrl) })
            {
                if (url is not null)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO alert_deliveries (event_id, channel, url, status, attempts, next_attempt_at, last_error)
                        VALUES (@eventId, @channel, @url, 'pending', 0, @now, NULL)
                        """,
                        new { eventId = send.Id, channel, url, now }, tx, cancellationToken: ct)).ConfigureAwait(false);
                }
            }
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return highest is not null;
    }

    /// <summary>The alert text: who, which cap, spent / limit, and when it resets.</summary>
    internal static string Message(AnalyticsDirectory.MemberInfo member, CapReading reading, int threshold)
    {
        var who = reading.Scope == "key"
            ? $"API key \"{reading.Name}\" of {member.Name} ({member.Email})"
            : $"{member.Name} ({member.Email})";
        var cap = reading.Status.Cap switch
        {
            "fixed" => "fixed budget",
            "monthly" => "monthly budget",
            _ => $"rolling {reading.Window} budget",
        };
        var resets = reading.Status.ResetsAt is { } at
            ? $"Resets at {ApiTime.FromUnixMs(at.ToUnixTimeMilliseconds())}."
            : "This budget does not reset.";
        return string.Create(CultureInfo.InvariantCulture,
            $"Budget alert: {who} has reached {threshold}% of the {(reading.Scope == "key" ? "key's" : "member's")} {cap}: " +
            $"{BudgetMessages.Usd(reading.Status.UsedPico)} spent of {BudgetMessages.Usd(reading.Status.LimitPico)} ({reading.PercentUsed}%). {resets}");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Checking budget alerts failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
