using System.Globalization;
using System.Net;
using Dapper;
using Tollgate.Storage;

namespace Tollgate.Analytics.Alerts;

/// <summary>An org's alert webhooks and thresholds (percent of a cap).</summary>
internal sealed record AlertSettings(string OrgId, string? SlackWebhookUrl, string? DiscordWebhookUrl, IReadOnlyList<int> Thresholds)
{
    /// <summary>The thresholds of an org that never set any.</summary>
    public static readonly IReadOnlyList<int> DefaultThresholds = [80, 100];

    /// <summary>Settings of an org with nothing configured.</summary>
    public static AlertSettings None(string orgId) => new(orgId, null, null, DefaultThresholds);

    /// <summary>
    /// What the API shows of a webhook URL: scheme, host and the last four characters. The path of a
    /// Slack or Discord webhook is its secret, so it is never echoed in full.
    /// </summary>
    public static string? Mask(string? url)
    {
        if (url is null)
        {
            return null;
        }

        var uri = new Uri(url);
        return $"{uri.Scheme}://{uri.Authority}/…{url[^Math.Min(4, url.Length)..]}";
    }

    /// <summary>The settings as the API shows them (and as the audit log records them).</summary>
    public AlertSettingsResponse ToResponse() => new(Mask(SlackWebhookUrl), Mask(DiscordWebhookUrl), Thresholds);

    /// <summary>
    /// Null when <paramref name="url"/> may be used, else why not: an absolute https URL without
    /// credentials, or http to a loopback address when <paramref name="allowLoopbackHttp"/> (tests).
    /// </summary>
    public static string? Validate(string url, bool allowLoopbackHttp)
    {
        if (url.Length > 2048 || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "must be an absolute URL.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "must not carry credentials.";
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return null;
        }

        var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        return uri.Scheme == Uri.UriSchemeHttp && loopback && allowLoopbackHttp ? null : "must be an https URL.";
    }
}

/// <summary>Reads and writes <c>alert_settings</c>.</summary>
internal sealed class AlertSettingsStore(Database database, TimeProvider time)
{
    private sealed record Row(string OrgId, string? SlackWebhookUrl, string? DiscordWebhookUrl, string Thresholds);

    private const string Select = "SELECT org_id AS OrgId, slack_webhook_url AS SlackWebhookUrl, discord_webhook_url AS DiscordWebhookUrl, thresholds FROM alert_settings";

    /// <summary>The org's settings (defaults when none were saved).</summary>
    public async Task<AlertSettings> GetAsync(string orgId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(Select + " WHERE org_id = @orgId", new { orgId }, cancellationToken: ct)).ConfigureAwait(false);
        return row is null ? AlertSettings.None(orgId) : ToSettings(row);
    }

    /// <summary>Every org with at least one webhook.</summary>
    public async Task<IReadOnlyList<AlertSettings>> ListConfiguredAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            Select + " WHERE slack_webhook_url IS NOT NULL OR discord_webhook_url IS NOT NULL", cancellationToken: ct)).ConfigureAwait(false);
        return [.. rows.Select(ToSettings)];
    }

    /// <summary>Saves the settings; returns what was there before.</summary>
    public async Task<AlertSettings> PutAsync(AlertSettings settings, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await Database.BeginWriteAsync(connection, ct).ConfigureAwait(false);
        var before = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            Select + " WHERE org_id = @orgId" + (database.IsPostgres ? " FOR UPDATE" : ""), new { orgId = settings.OrgId }, tx, cancellationToken: ct)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO alert_settings (org_id, slack_webhook_url, discord_webhook_url, thresholds, updated_at)
            VALUES (@OrgId, @SlackWebhookUrl, @DiscordWebhookUrl, @thresholds, @now)
            ON CONFLICT (org_id) DO UPDATE SET slack_webhook_url = excluded.slack_webhook_url,
                discord_webhook_url = excluded.discord_webhook_url, thresholds = excluded.thresholds, updated_at = excluded.updated_at
            """,
            new
            {
                settings.OrgId, settings.SlackWebhookUrl, settings.DiscordWebhookUrl,
                thresholds = string.Join(',', settings.Thresholds.Select(t => t.ToString(CultureInfo.InvariantCulture))),
                now = time.GetUtcNow().ToUnixTimeMilliseconds(),
            },
            tx, cancellationToken: ct)).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return before is null ? AlertSettings.None(settings.OrgId) : ToSettings(before);
    }

    private static AlertSettings ToSettings(Row row) => new(
        row.OrgId, row.SlackWebhookUrl, row.DiscordWebhookUrl,
        [.. row.Thresholds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture))]);
}

/// <summary><c>GET/PUT /orgs/{orgId}/alerts</c>: the webhook URLs, masked (null when not set), and the thresholds in percent.</summary>
internal sealed record AlertSettingsResponse(string? SlackWebhookUrl, string? DiscordWebhookUrl, IReadOnlyList<int> Thresholds);
