using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Accounts;

namespace Tollgate.Analytics;

/// <summary>
/// The parameters every analytics call takes (api.md "Analytics"), validated, with the caller's
/// membership and what they may see applied: developers and basic members see only their own usage,
/// and ids of members, keys or projects they may not see answer 404.
/// </summary>
internal sealed record AnalyticsRequest(OrgMember Caller, string Plan, LocalDays Days, string TimeZoneName, UsageFilter Filter, bool WholeOrg)
{
    public const string NotFoundMember = "Member not found.";
    public const string NotFoundKey = "API key not found.";
    public const string NotFoundProject = "Project not found.";

    /// <summary>Whether the caller's plan has member analytics (enterprise).</summary>
    public bool HasMemberAnalytics => PlanPolicy.Has(Plan, PlanPolicy.Feature.MemberUsage);

    /// <summary>Parses and authorizes; the problem to answer when it fails.</summary>
    public static Task<(AnalyticsRequest? Request, IResult? Problem)> ReadAsync(
        HttpRequest http, CurrentUser user, OrgStore orgs, KeyStore keys, AnalyticsDirectory directory, TimeProvider time, CancellationToken ct) =>
        ReadAsync(name => http.Query[name].ToString(), user, orgs, keys, directory, time, ct);

    /// <summary>
    /// Parses and authorizes the query parameters as <paramref name="query"/> gives them (empty when
    /// absent): the API passes its query string, a dashboard page the same names from its controls.
    /// </summary>
    public static async Task<(AnalyticsRequest? Request, IResult? Problem)> ReadAsync(
        Func<string, string> query, CurrentUser user, OrgStore orgs, KeyStore keys, AnalyticsDirectory directory, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var orgId = query("organizationId");
        if (string.IsNullOrEmpty(orgId))
        {
            errors.Add("organizationId", "organizationId is required.");
        }

        var zoneName = query("timezone");
        if (string.IsNullOrEmpty(zoneName))
        {
            zoneName = "UTC";
        }

        if (!LocalDays.TryFindZone(zoneName, out var zone))
        {
            errors.Add("timezone", $"Unknown time zone '{zoneName}': use an IANA name such as Europe/Paris.");
        }

        DateOnly? from = Date(errors, "from", query("from"));
        DateOnly? to = Date(errors, "to", query("to"));
        if (errors.Any)
        {
            return (null, errors.ToProblem());
        }

        var today = LocalDays.Today(zone, time.GetUtcNow());
        var last = to ?? today;
        var first = from ?? last.AddDays(-6);
        if (first > last)
        {
            return (null, AccountProblems.Validation("from", "from must not be after to."));
        }

        if (last.DayNumber - first.DayNumber + 1 > LocalDays.MaxDays)
        {
            return (null, AccountProblems.Validation("to", $"The range is {last.DayNumber - first.DayNumber + 1} days; at most {LocalDays.MaxDays} are allowed."));
        }

        if (first.Year < 2000 || last.Year > 2200)
        {
            return (null, AccountProblems.Validation("from", "Dates must be between 2000 and 2200."));
        }

        var row = await orgs.FindMemberAsync(orgId, user.UserId, ct);
        var org = row is null ? null : await orgs.FindOrgAsync(orgId, ct);
        if (row is null || org is null)
        {
            return (null, AccountProblems.NotFound(OrgMembership.NotFoundMessage));
        }

        var caller = new OrgMember(row.Id, row.OrgId, row.UserId, row.Role);
        var wholeOrg = RolePolicy.Can(caller.Role, Capability.ViewOrgUsage);
        var memberId = NullIfEmpty(query("memberId"));
        var keyId = NullIfEmpty(query("apiKeyId"));
        var projectId = NullIfEmpty(query("projectId"));

        // Own usage only: another member's id is not theirs to know of.
        if (!wholeOrg)
        {
            if (memberId is not null && memberId != caller.MemberId)
            {
                return (null, AccountProblems.NotFound(NotFoundMember));
            }

            memberId = caller.MemberId;
        }

        if (projectId is not null && await orgs.FindVisibleProjectAsync(caller, projectId, ct) is null)
        {
            return (null, AccountProblems.NotFound(NotFoundProject));
        }

        if (keyId is not null)
        {
            var key = await keys.FindAsync(orgId, keyId, ct);
            if (key is null || (!wholeOrg && key.MemberId != caller.MemberId))
            {
                return (null, AccountProblems.NotFound(NotFoundKey));
            }
        }

        if (memberId is not null && wholeOrg && !await directory.MemberExistsAsync(orgId, memberId, ct))
        {
            return (null, AccountProblems.NotFound(NotFoundMember));
        }

        var days = LocalDays.Create(zone, first, last);
        return (new AnalyticsRequest(caller, org.Plan, days, zoneName, new UsageFilter(memberId, keyId, projectId), wholeOrg), null);
    }

    /// <summary>403 <c>plan_required</c> unless the org's plan has member analytics.</summary>
    public ProblemHttpResult? RequireMemberAnalytics() => PlanPolicy.Require(Plan, PlanPolicy.Feature.MemberUsage);

    private static DateOnly? Date(FieldErrors errors, string field, string text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (LocalDays.TryParseDate(text, out var date))
        {
            return date;
        }

        errors.Add(field, $"{field} must be a date YYYY-MM-DD.");
        return null;
    }

    private static string? NullIfEmpty(string text) => string.IsNullOrEmpty(text) ? null : text;
}
