using System.Globalization;
using System.Text;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Operations;

namespace Tollgate.Analytics;

/// <summary>
/// <c>GET /analytics/activity</c>, <c>/analytics/members</c>, <c>/analytics/members/{memberId}</c> and
/// <c>/analytics/me</c> (api.md "Analytics"): every number is read from the rollups, by local day of
/// the caller's time zone. Session-token auth; the org is named by <c>organizationId</c>.
/// </summary>
internal static class AnalyticsApi
{
    /// <summary>A group of a day or of the totals.</summary>
    internal sealed record GroupResponse(string Key, string Label, string Cost, long Requests, long Tokens);

    /// <summary>One local day, zero-filled.</summary>
    internal sealed record DayResponse(
        string Date, string Cost, long Requests, long InputTokens, long OutputTokens, long CachedTokens, long ReasoningTokens, long Tokens, long Errors,
        IReadOnlyList<GroupResponse> Groups);

    /// <summary>The whole range.</summary>
    internal sealed record TotalsResponse(
        string Cost, long Requests, long InputTokens, long OutputTokens, long CachedTokens, long ReasoningTokens, long Tokens, long Errors,
        IReadOnlyList<GroupResponse> Groups);

    /// <summary>The activity answer.</summary>
    internal sealed record ActivityResponse(string Timezone, string From, string To, string GroupBy, IReadOnlyList<DayResponse> Days, TotalsResponse Totals);

    /// <summary>A Team page row.</summary>
    internal sealed record MemberRowResponse(
        string MemberId, string Name, string Email, string Role, bool Removed, string Cost, long Tokens, long InputTokens, long OutputTokens,
        long CachedTokens, long Requests, long Errors, long ActiveKeys);

    /// <summary>The members answer.</summary>
    internal sealed record MembersResponse(string Timezone, string From, string To, IReadOnlyList<MemberRowResponse> Data, TotalsResponse Totals);

    /// <summary>A cap as the member detail shows it.</summary>
    internal sealed record CapResponse(
        string Scope, string? KeyId, string? KeyName, string Cap, string? Window, string Limit, string Used, string Reserved, string Remaining,
        string? ResetsAt, decimal PercentUsed, bool Exhausted);

    /// <summary>The member detail (and <c>/analytics/me</c>) answer.</summary>
    internal sealed record MemberDetailResponse(
        string MemberId, string Name, string Email, string Role, string Timezone, string From, string To,
        IReadOnlyList<CapResponse> Caps, IReadOnlyList<DayResponse> UsageByModel, IReadOnlyList<GroupResponse> TopModels,
        IReadOnlyList<GroupResponse> TopProviders, TotalsResponse Totals);

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapAnalyticsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapSignedInGroup("/analytics");
        group.MapGet("/activity", ActivityAsync)
            .Answers<ActivityResponse>().AlsoAnswersCsv().Refuses(400, 403, 404);
        group.MapGet("/members", MembersAsync)
            .Answers<MembersResponse>().AlsoAnswersCsv().Refuses(400, 403, 404);
        group.MapGet("/members/{memberId}", MemberAsync)
            .Answers<MemberDetailResponse>().Refuses(400, 403, 404);
        group.MapGet("/me", MeAsync)
            .Answers<MemberDetailResponse>().Refuses(400, 404);
        return app;
    }

    private static async Task<IResult> ActivityAsync(
        HttpRequest http, CurrentUser user, string? groupBy, string? format, ActivityReport report, CancellationToken ct) =>
        (await report.ReadAsync(user, groupBy, format, name => http.Query[name].ToString(), ct)).ToResult(activity => format == "csv"
            ? TypedResults.Text(AnalyticsCsv.Activity(activity), "text/csv", Encoding.UTF8)
            : TypedResults.Ok(activity));

    private static async Task<IResult> MembersAsync(
        HttpRequest http, CurrentUser user, string? format, OrgStore orgs, KeyStore keys, AnalyticsDirectory directory,
        UsageQueries queries, TimeProvider time, CancellationToken ct)
    {
        if (format is not (null or "" or "json" or "csv"))
        {
            return AccountProblems.Validation("format", "format must be json or csv.");
        }

        var (request, problem) = await AnalyticsRequest.ReadAsync(http, user, orgs, keys, directory, time, ct);
        if (request is null)
        {
            return problem!;
        }

        if (!RolePolicy.Can(request.Caller.Role, Capability.ViewMemberUsage))
        {
            return AccountProblems.Forbidden("Only owners, admins and billing members can see per-member usage.");
        }

        if (request.RequireMemberAnalytics() is { } planProblem)
        {
            return planProblem;
        }

        var orgId = request.Caller.OrgId;
        long[] range = [request.Days.Start, request.Days.End];
        var usage = await queries.SumAsync(orgId, range, Rollups.Member, request.Filter, ct);
        var members = await directory.MembersAsync(orgId, ct);
        var active = await directory.ActiveKeysAsync(orgId, ct);
        var rows = new List<(long CostPico, MemberRowResponse Row)>();
        var total = new UsageSums();
        foreach (var member in members.Values)
        {
            var sums = usage.GetValueOrDefault((0, member.Id));
            if (member.Removed && sums.Requests == 0 && sums.CostPico == 0)
            {
                continue; // removed members appear only while they have usage in the range
            }

            if (request.Filter.MemberId is { } only && only != member.Id)
            {
                continue;
            }

            total.Add(sums);
            rows.Add((sums.CostPico, new MemberRowResponse(
                member.Id, member.Name, member.Email, member.Role, member.Removed, Money.ToWire(sums.CostPico), sums.Tokens, sums.InputTokens,
                sums.OutputTokens, sums.CachedTokens, sums.Requests, sums.Errors, active.GetValueOrDefault(member.Id))));
        }

        var ordered = rows.OrderByDescending(r => r.CostPico).ThenBy(r => r.Row.Name, StringComparer.Ordinal).ThenBy(r => r.Row.MemberId, StringComparer.Ordinal)
            .Select(r => r.Row).ToList();
        var response = new MembersResponse(request.TimeZoneName, Iso(request.Days.From), Iso(request.Days.To), ordered, Totals(total, []));
        return format == "csv"
            ? TypedResults.Text(AnalyticsCsv.Members(response), "text/csv", Encoding.UTF8)
            : TypedResults.Ok(response);
    }

    private static async Task<IResult> MemberAsync(
        string memberId, HttpRequest http, CurrentUser user, OrgStore orgs, KeyStore keys, AnalyticsDirectory directory, UsageQueries queries,
        CapReadout caps, TimeProvider time, CancellationToken ct)
    {
        var (request, problem) = await AnalyticsRequest.ReadAsync(http, user, orgs, keys, directory, time, ct);
        if (request is null)
        {
            return problem!;
        }

        if (memberId != request.Caller.MemberId)
        {
            if (!request.WholeOrg)
            {
                return AccountProblems.NotFound(AnalyticsRequest.NotFoundMember);
            }

            if (request.RequireMemberAnalytics() is { } planProblem)
            {
                return planProblem;
            }
        }

        return await DetailAsync(request, memberId, directory, queries, caps, ct);
    }

    private static async Task<IResult> MeAsync(
        HttpRequest http, CurrentUser user, OrgStore orgs, KeyStore keys, AnalyticsDirectory directory, UsageQueries queries,
        CapReadout caps, TimeProvider time, CancellationToken ct)
    {
        var (request, problem) = await AnalyticsRequest.ReadAsync(http, user, orgs, keys, directory, time, ct);
        return request is null ? problem! : await DetailAsync(request, request.Caller.MemberId, directory, queries, caps, ct);
    }

    private static async Task<IResult> DetailAsync(
        AnalyticsRequest request, string memberId, AnalyticsDirectory directory, UsageQueries queries, CapReadout caps, CancellationToken ct)
    {
        var members = await directory.MembersAsync(request.Caller.OrgId, ct);
        if (!members.TryGetValue(memberId, out var member))
        {
            return AccountProblems.NotFound(AnalyticsRequest.NotFoundMember);
        }

        // The member's own usage, within whatever project or key the request also names.
        var scoped = request with { Filter = request.Filter with { MemberId = memberId } };
        var byModel = await ActivityOfAsync(scoped, Rollups.Model, "model", directory, queries, ct);
        long[] range = [request.Days.Start, request.Days.End];
        var providers = await queries.SumAsync(request.Caller.OrgId, range, Rollups.Provider, scoped.Filter, ct);
        var providerGroups = Groups(providers.Select(p => (p.Key.Value, p.Value)), id => id);
        var readings = member.Removed ? [] : await caps.ReadAsync(memberId, ct);
        return TypedResults.Ok(new MemberDetailResponse(
            member.Id, member.Name, member.Email, member.Role, request.TimeZoneName, byModel.From, byModel.To,
            [.. readings.Select(ToResponse)], byModel.Days, [.. byModel.Totals.Groups.Take(10)], [.. providerGroups.Take(10)], byModel.Totals));
    }

    /// <summary>The days and groups of one activity question, read from the rollups.</summary>
    internal static async Task<ActivityResponse> ActivityOfAsync(
        AnalyticsRequest request, string dimension, string groupBy, AnalyticsDirectory directory, UsageQueries queries, CancellationToken ct)
    {
        var days = request.Days;
        var sums = await queries.SumAsync(request.Caller.OrgId, days.Starts, dimension, request.Filter, ct);
        var label = await directory.LabelsAsync(request.Caller.OrgId, dimension, ct);
        var perDay = new List<(string Value, UsageSums Sums)>[days.Count];
        for (var i = 0; i < perDay.Length; i++)
        {
            perDay[i] = [];
        }

        var totals = new Dictionary<string, UsageSums>(StringComparer.Ordinal);
        foreach (var ((slot, value), s) in sums)
        {
            perDay[slot].Add((value, s));
            ref var t = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(totals, value, out _);
            t.Add(s);
        }

        var dayResponses = new List<DayResponse>(days.Count);
        var all = new UsageSums();
        for (var i = 0; i < days.Count; i++)
        {
            var day = new UsageSums();
            foreach (var (_, s) in perDay[i])
            {
                day.Add(s);
            }

            all.Add(day);
            dayResponses.Add(new DayResponse(
                Iso(days.Date(i)), Money.ToWire(day.CostPico), day.Requests, day.InputTokens, day.OutputTokens, day.CachedTokens,
                day.ReasoningTokens, day.Tokens, day.Errors, Groups(perDay[i], label)));
        }

        return new ActivityResponse(request.TimeZoneName, Iso(days.From), Iso(days.To), groupBy, dayResponses,
            Totals(all, Groups(totals.Select(t => (t.Key, t.Value)), label)));
    }

    private static List<GroupResponse> Groups(IEnumerable<(string Value, UsageSums Sums)> groups, Func<string, string> label) =>
        [.. groups.OrderByDescending(g => g.Sums.CostPico).ThenByDescending(g => g.Sums.Requests).ThenBy(g => g.Value, StringComparer.Ordinal)
            .Select(g => new GroupResponse(g.Value, label(g.Value), Money.ToWire(g.Sums.CostPico), g.Sums.Requests, g.Sums.Tokens))];

    private static TotalsResponse Totals(UsageSums s, IReadOnlyList<GroupResponse> groups) =>
        new(Money.ToWire(s.CostPico), s.Requests, s.InputTokens, s.OutputTokens, s.CachedTokens, s.ReasoningTokens, s.Tokens, s.Errors, groups);

    private static CapResponse ToResponse(CapReading c) => new(
        c.Scope, c.Scope == "key" ? c.ScopeId : null, c.Name, c.Status.Cap, c.Window, Money.ToWire(c.Status.LimitPico), Money.ToWire(c.Status.UsedPico),
        Money.ToWire(c.Status.ReservedPico), Money.ToWire(c.Status.RemainingPico), c.Status.ResetsAt is { } r ? ApiTime.FromUnixMs(r.ToUnixTimeMilliseconds()) : null,
        c.PercentUsed, c.Status.Exhausted);

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
