using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Dashboard;
using Tollgate.Storage;

namespace Tollgate.Bench;

/// <summary>
/// The Team page's server time for a big org, run by <see cref="AnalyticsBench"/> on its filled
/// database (1,000 members, a year of usage): the page's own loader (<see cref="TeamPageData"/>:
/// every member with usage over 30 days and budget as enforced, projects, defaults, invites) as
/// the owner, in process. Three warm-up loads, then ten timed; prints the median and the slowest.
/// </summary>
internal static class TeamPageBench
{
    public static async Task TimeAsync(IServiceProvider services, Database database, string orgId)
    {
        await using var connection = await database.OpenAsync();
        var owner = await connection.QuerySingleAsync<(string Id, string UserId)>(
            "SELECT id, user_id FROM members WHERE org_id = @orgId AND role = 'owner' LIMIT 1", new { orgId });
        var member = new OrgMember(owner.Id, orgId, owner.UserId, OrgRoles.Owner);
        var members = services.GetRequiredService<MemberService>();
        var projects = services.GetRequiredService<ProjectService>();
        var budgets = services.GetRequiredService<BudgetService>();
        var time = services.GetRequiredService<TimeProvider>();
        var times = new List<double>();
        var first = 0.0;
        var cpu = TimeSpan.Zero;
        TeamPageData? data = null;
        for (var i = 0; i < 13; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var cpuStarted = Process.GetCurrentProcess().TotalProcessorTime;
            data = await TeamPageData.LoadAsync(members, projects, budgets, member, 30, time, CancellationToken.None);
            if (i >= 3)
            {
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                cpu += Process.GetCurrentProcess().TotalProcessorTime - cpuStarted;
            }
            else if (i == 0)
            {
                first = Stopwatch.GetElapsedTime(started).TotalMilliseconds; // budget states loaded from the database
            }
        }

        times.Sort();
        Console.WriteLine(
            $"team page data ({data!.Members.Count} members, {data.Budgets.Count} budgets, usage {(data.Usage is null ? "hidden" : "shown")}): " +
            $"median {times[times.Count / 2]:F1} ms, slowest {times[^1]:F1} ms over {times.Count} loads, CPU {cpu.TotalMilliseconds / times.Count:F1} ms per load (first load {first:F0} ms; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }
}
