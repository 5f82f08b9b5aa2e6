using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Accounts;
using Tollgate.Analytics;
using Tollgate.Storage;

namespace Tollgate.Bench;

/// <summary>
/// Where the time of a 366-day activity read goes, in process (no HTTP): the service's answer
/// (parameters, authorization, rollup reads, days and groups) and its JSON, each timed apart over
/// ten calls after three warm-up calls. Run by <see cref="AnalyticsBench"/> after its HTTP timings.
/// </summary>
internal static class AnalyticsProfile
{
    public static async Task RunAsync(IServiceProvider services, Database database, string orgId, string zone)
    {
        await using var connection = await database.OpenAsync();
        var owner = await connection.QuerySingleAsync<(string UserId, string Email, string Name)>(
            "SELECT u.id, u.email, u.name FROM members m JOIN users u ON u.id = m.user_id WHERE m.org_id = @orgId AND m.role = 'owner' LIMIT 1", new { orgId });
        var user = new CurrentUser(owner.UserId, owner.Email, owner.Name, "");
        var report = services.GetRequiredService<ActivityReport>();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var query = new Dictionary<string, string>
        {
            ["organizationId"] = orgId, ["timezone"] = zone,
            ["from"] = today.AddDays(-365).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["to"] = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        double answer = 0, serialize = 0;
        for (var i = 0; i < 13; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var outcome = await report.ReadAsync(user, "model", null, name => query.GetValueOrDefault(name, ""), CancellationToken.None);
            var read = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            started = Stopwatch.GetTimestamp();
            var bytes = JsonSerializer.SerializeToUtf8Bytes(outcome.Value, json);
            var written = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (i >= 3)
            {
                answer += read / 10;
                serialize += written / 10;
            }
        }

        Console.WriteLine(FormattableString.Invariant($"profile activity 366 days, {zone}, in process: answer {answer:F1} ms, JSON {serialize:F1} ms (mean of 10)"));
    }
}
