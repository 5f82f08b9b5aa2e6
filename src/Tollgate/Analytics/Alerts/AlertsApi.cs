using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Operations;

namespace Tollgate.Analytics.Alerts;

/// <summary>
/// <c>GET/PUT /orgs/{orgId}/alerts</c> (api.md "Provider keys and alerts"): owner and admin. A PUT
/// replaces what it names: a URL field that is absent, or equal to the masked form the GET showed,
/// keeps the stored URL; <c>null</c> removes it. Changes are audited with masked URLs.
/// </summary>
internal static class AlertsApi
{
    private const string ForbiddenMessage = "Only owners and admins can see and change budget alerts.";
    private const int MaxThresholds = 10;

    /// <summary>Maps the routes under <c>/orgs/{orgId}/alerts</c>.</summary>
    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapOrgGroup("/alerts");
        group.MapGet("", GetAsync)
            .Answers<AlertSettingsResponse>();
        group.MapPut("", PutAsync)
            .Takes<AlertSettingsRequest>().Answers<AlertSettingsResponse>();
        return app;
    }

    private static async Task<IResult> GetAsync(OrgMember member, AlertSettingsStore store, CancellationToken ct) =>
        (await GetSettingsAsync(member, store, ct)).ToResult(settings => TypedResults.Ok(settings.ToResponse()));

    private static async Task<IResult> PutAsync(
        HttpRequest request, OrgMember member, AlertSettingsStore store, RequestAudit audit, IConfiguration configuration, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageOrgSettings))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        var (document, problem) = await Tollgate.Operations.JsonBody.ReadObjectAsync(request, ct);
        if (document is null)
        {
            return problem!;
        }

        using (document)
        {
            return (await PutSettingsAsync(member, audit, document.RootElement, store, configuration, ct)).ToResult(after => TypedResults.Ok(after.ToResponse()));
        }
    }

    /// <summary>The org's alert settings (<c>GET</c>): owner and admin. Show them through <see cref="AlertSettings.ToResponse"/> (URLs masked).</summary>
    internal static async Task<Outcome<AlertSettings>> GetSettingsAsync(OrgMember member, AlertSettingsStore store, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageOrgSettings))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        return await store.GetAsync(member.OrgId, ct);
    }

    /// <summary>
    /// Replaces what <paramref name="body"/> names (<c>PUT</c>), for the API and the Settings page alike:
    /// an absent URL, or the masked form sent back, keeps the stored one; null or empty removes it.
    /// </summary>
    internal static async Task<Outcome<AlertSettings>> PutSettingsAsync(
        OrgMember member, RequestAudit audit, JsonElement body, AlertSettingsStore store, IConfiguration configuration, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageOrgSettings))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            return AccountProblems.Validation("body", "The body must be a JSON object.");
        }

        var current = await store.GetAsync(member.OrgId, ct);
        var allowLoopback = configuration.GetValue<bool>(AlertOptions.AllowLoopbackHttpKey);
        var errors = new FieldErrors();
        var slack = Url(errors, body, "slackWebhookUrl", current.SlackWebhookUrl, allowLoopback);
        var discord = Url(errors, body, "discordWebhookUrl", current.DiscordWebhookUrl, allowLoopback);
        var thresholds = Thresholds(errors, body, current.Thresholds);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var after = new AlertSettings(member.OrgId, slack, discord, thresholds);
        var before = await store.PutAsync(after, ct);
        await audit.RecordAsync("alerts.update", new AuditTarget("org", member.OrgId), before.ToResponse(), after.ToResponse(), ct);
        return after;
    }

    private static string? Url(FieldErrors errors, JsonElement body, string field, string? current, bool allowLoopback)
    {
        if (!body.TryGetProperty(field, out var value))
        {
            return current;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(field, $"{field} must be a URL or null.");
            return current;
        }

        var url = value.GetString()!.Trim();
        if (url.Length == 0)
        {
            return null;
        }

        if (current is not null && url == AlertSettings.Mask(current))
        {
            return current; // the masked form sent back unchanged
        }

        if (AlertSettings.Validate(url, allowLoopback) is { } problem)
        {
            errors.Add(field, $"{field} {problem}");
        }

        return url;
    }

    private static IReadOnlyList<int> Thresholds(FieldErrors errors, JsonElement body, IReadOnlyList<int> current)
    {
        if (!body.TryGetProperty("thresholds", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return current;
        }

        var list = new List<int>();
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out var t) || t is < 1 or > 100)
                {
                    errors.Add("thresholds", "thresholds must be whole percentages from 1 to 100.");
                    return current;
                }

                list.Add(t);
            }
        }
        else
        {
            errors.Add("thresholds", "thresholds must be an array of percentages, such as [80, 100].");
            return current;
        }

        if (list.Count is 0 or > MaxThresholds || list.Distinct().Count() != list.Count)
        {
            errors.Add("thresholds", $"thresholds must list 1 to {MaxThresholds} different percentages.");
            return current;
        }

        list.Sort();
        return list;
    }
}
