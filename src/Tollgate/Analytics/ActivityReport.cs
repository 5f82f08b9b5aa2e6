using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Accounts;

namespace Tollgate.Analytics;

/// <summary>
/// <c>GET /analytics/activity</c> as a service: the API and the dashboard's Analytics page ask it the
/// same question (the same query parameters, the same caller) and get the same days, groups and
/// problems; only the API turns the answer into JSON or CSV on the wire.
/// </summary>
internal sealed class ActivityReport(OrgStore orgs, KeyStore keys, AnalyticsDirectory directory, UsageQueries queries, TimeProvider time)
{
    /// <summary>The <c>groupBy</c> values, in the order pages offer them.</summary>
    public static readonly string[] GroupBys = ["model", "provider", "project", "apiKey", "member"];

    /// <summary>
    /// The activity of the caller's org (or, for developers and basic members, their own) by local day
    /// of the <c>timezone</c> parameter, grouped by <paramref name="groupBy"/> (default <c>model</c>).
    /// </summary>
    public async Task<Outcome<AnalyticsApi.ActivityResponse>> ReadAsync(
        CurrentUser user, string? groupBy, string? format, Func<string, string> query, CancellationToken ct)
    {
        groupBy = string.IsNullOrEmpty(groupBy) ? "model" : groupBy;
        var errors = new FieldErrors();
        if (!GroupBys.Contains(groupBy, StringComparer.Ordinal))
        {
            errors.Add("groupBy", "groupBy must be model, provider, project, apiKey or member.");
        }

        if (format is not (null or "" or "json" or "csv"))
        {
            errors.Add("format", "format must be json or csv.");
        }

        if (errors.Any)
        {
            return Problem(errors.ToProblem());
        }

        var (request, problem) = await AnalyticsRequest.ReadAsync(query, user, orgs, keys, directory, time, ct);
        if (request is null)
        {
            return Problem(problem!);
        }

        // Per-member figures of the whole org are member analytics (enterprise); one's own usage is not.
        if (request.WholeOrg && (groupBy == "member" || (request.Filter.MemberId is { } m && m != request.Caller.MemberId))
            && request.RequireMemberAnalytics() is { } planProblem)
        {
            return planProblem;
        }

        var dimension = groupBy == "apiKey" ? Rollups.Key : groupBy;
        return await AnalyticsApi.ActivityOfAsync(request, dimension, groupBy, directory, queries, ct);
    }

    private static Outcome<AnalyticsApi.ActivityResponse> Problem(IResult problem) => problem switch
    {
        ValidationProblem v => v,
        ProblemHttpResult p => p,
        _ => throw new InvalidOperationException("Analytics problems are ProblemDetails answers."),
    };
}
