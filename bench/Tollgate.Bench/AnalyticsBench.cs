using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Tollgate.Analytics;
using Tollgate.Budgets;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Bench;

/// <summary>
/// Analytics at scale, run on demand (not a BenchmarkDotNet class, not part of the tests):
/// <code>
/// dotnet run -c Release --project bench/Tollgate.Bench -- analytics sqlite [rows]
/// dotnet run -c Release --project bench/Tollgate.Bench -- analytics postgres "Host=...;Database=..." [rows]
/// dotnet run -c Release --project bench/Tollgate.Bench -- analytics sqlite-file /tmp/tollgate-analytics-bench-....db
/// dotnet run -c Release --project bench/Tollgate.Bench -- analytics postgres-schema "Host=...;Database=..." bench_1234abcd
/// </code>
/// The last two forms time again a SQLite file or a PostgreSQL schema an earlier run filled (both are
/// kept), so two builds can be compared on the same data without filling it twice.
/// Simulates a year of ledger rows (default 10,000,000: 1,000 members in four regions working
/// weekdays, 2 keys and 3 favourite models of 50 each, 20 projects), a day at a time, sums them into
/// the rollup tables exactly as the ledger writer would (<see cref="RollupBatch"/>) and bulk-loads
/// those (<see cref="BenchLoader"/>), with the ledger rows themselves (all of them; <c>BENCH_LEDGER_DAYS=31</c>
/// keeps only the last 31 days, enough for the member list's range edges, for a faster fill). Developers
/// inherit a default monthly cap of $500 and every fourth member has a rolling daily cap of its own, so
/// the Team page's budget column sums a year of each member's ledger. Then times, through the
/// real server over HTTP, a 366-day <c>/analytics/activity</c> grouped by model in Asia/Kolkata
/// and America/New_York, and <c>/analytics/members</c> over 30 days; then the Team page's data for
/// the org's owner (<see cref="TeamPageBench"/>).
/// </summary>
internal static class AnalyticsBench
{
    private const int Members = 1000;
    private const int Models = 50;
    private const int Projects = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        var dialect = args.Length > 1 && args[1] is "postgres" or "postgres-schema" ? DbDialect.Postgres : DbDialect.Sqlite;
        var rest = args.Skip(2).ToList();
        var reuse = args.Length > 2 && args[1] is "sqlite-file" or "postgres-schema";
        string connectionString;
        if (reuse && dialect == DbDialect.Postgres)
        {
            connectionString = new NpgsqlConnectionStringBuilder(rest[0]) { SearchPath = rest[1], CommandTimeout = 0 }.ToString();
            rest.Clear();
        }
        else if (reuse)
        {
            connectionString = $"Data Source={rest[0]}";
            rest.Clear();
        }
        else if (dialect == DbDialect.Postgres)
        {
            var schema = "bench_" + Guid.NewGuid().ToString("N")[..8];
            await using (var admin = new NpgsqlConnection(rest[0]))
            {
                await admin.OpenAsync();
                await admin.ExecuteAsync($"CREATE SCHEMA {schema}");
            }

            connectionString = new NpgsqlConnectionStringBuilder(rest[0]) { SearchPath = schema, CommandTimeout = 0 }.ToString();
            rest.RemoveAt(0);
            Console.WriteLine($"PostgreSQL schema {schema}");
        }
        else
        {
            var path = Path.Combine(Path.GetTempPath(), $"tollgate-analytics-bench-{Guid.NewGuid():N}.db");
            connectionString = $"Data Source={path}";
            Console.WriteLine($"SQLite file {path}");
        }

        var rows = rest.Count > 0 ? long.Parse(rest[0], CultureInfo.InvariantCulture) : 10_000_000;
        var app = TollgateApp.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration["Tollgate:Database:Provider"] = dialect == DbDialect.Postgres ? "postgres" : "sqlite";
            builder.Configuration["Tollgate:Database:ConnectionString"] = connectionString;
            builder.Logging.SetMinimumLevel(LogLevel.Warning);

            // BENCH_DAY_CACHE=false times every call against the facets (no closed days kept in memory).
            if (Environment.GetEnvironmentVariable("BENCH_DAY_CACHE") is { Length: > 0 } dayCache)
            {
                builder.Configuration["Tollgate:Analytics:DayCache"] = dayCache;
            }
        });
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(2) };
            var database = app.Services.GetRequiredService<Database>();
            var orgId = reuse ? await SignInAgainAsync(client, database) : await SetUpOrgAsync(client);
            if (!reuse)
            {
                await FillAsync(database, orgId, rows);
            }

            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            foreach (var zone in new[] { "Asia/Kolkata", "America/New_York" })
            {
                var z = Uri.EscapeDataString(zone);
                await TimeAsync(client, $"activity 366 days by model, {zone}",
                    $"analytics/activity?organizationId={orgId}&groupBy=model&timezone={z}&from={today.AddDays(-365):yyyy-MM-dd}&to={today:yyyy-MM-dd}");
                await TimeAsync(client, $"members 30 days, {zone}",
                    $"analytics/members?organizationId={orgId}&timezone={z}&from={today.AddDays(-29):yyyy-MM-dd}&to={today:yyyy-MM-dd}");
            }

            await AnalyticsProfile.RunAsync(app.Services, database, orgId, "Asia/Kolkata");
            await TeamPageBench.TimeAsync(app.Services, database, orgId);
            await TeamPageBrowserBench.TimeAsync(address, client.DefaultRequestHeaders.Authorization!.Parameter!, orgId, Members + 1); // the members and the owner
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        return 0;
    }

    private static async Task TimeAsync(HttpClient client, string name, string path)
    {
        var times = new List<double>();
        var first = 0.0;
        var runs = int.TryParse(Environment.GetEnvironmentVariable("BENCH_ITERATIONS"), out var n) && n > 3 ? n : 23;
        var cpu = TimeSpan.Zero;
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var cpuStarted = Process.GetCurrentProcess().TotalProcessorTime;
            using var response = await client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            response.EnsureSuccessStatusCode();
            if (i >= 3)
            {
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds); // the first three warm up
                cpu += Process.GetCurrentProcess().TotalProcessorTime - cpuStarted; // server and client: what a quiet machine would take
            }
            else if (i == 0)
            {
                first = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                using var json = JsonDocument.Parse(body);
                var totals = json.RootElement.GetProperty("totals");
                Console.WriteLine(FormattableString.Invariant($"  {name}: {body.Length:N0} bytes, total cost {totals.GetProperty("cost").GetString()}, {totals.GetProperty("requests").GetInt64():N0} requests"));
            }
        }

        times.Sort();
        Console.WriteLine(FormattableString.Invariant(
            $"{name}: p50 {times[times.Count / 2]:F1} ms, p95 {times[(int)(times.Count * 0.95)]:F1} ms, min {times[0]:F1} ms, CPU {cpu.TotalMilliseconds / times.Count:F1} ms per call (first call {first:F0} ms; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
    }

    private static async Task FillAsync(Database database, string orgId, long rows)
    {
        var memberIds = await AddMembersAsync(database, orgId);
        await AddBudgetsAsync(database, orgId, memberIds);
        var ledgerDays = int.TryParse(Environment.GetEnvironmentVariable("BENCH_LEDGER_DAYS"), out var d) && d > 0 ? d : 366;
        var fill = Stopwatch.StartNew();
        await using var loader = await BenchLoader.OpenAsync(database);
        var end = DateTimeOffset.UtcNow;
        long rollups = 0, facets = 0, ledger = 0;
        foreach (var (day, entries) in Simulate(orgId, memberIds, rows, end))
        {
            var batch = RollupBatch.Of(entries);
            rollups += batch.Rollups.Count;
            facets += batch.Facets.Count;
            await loader.AddRollupsAsync(batch);

            if (day >= end.UtcDateTime.Date.AddDays(-ledgerDays))
            {
                await loader.AddLedgerAsync(entries);
                ledger += entries.Count;
            }
        }

        await loader.CompleteAsync();
        if (database.IsPostgres)
        {
            // What autovacuum does to a table soon after a bulk load, done now: statistics for the
            // planner, and the visibility map that lets the budget sums read the ledger's index alone.
            await using var connection = await database.OpenAsync();
            await connection.ExecuteAsync("VACUUM (ANALYZE) ledger, usage_rollups, usage_facets", commandTimeout: 0);
        }
        Console.WriteLine(FormattableString.Invariant(
            $"filled {rows:N0} simulated ledger rows as {rollups:N0} 15-minute rows and {facets:N0} facet rows, and {ledger:N0} ledger rows of the last {ledgerDays} days, in {fill.Elapsed.TotalSeconds:F0} s"));
    }

    // The owner an earlier run made (the only user whose email starts with "bench-") signs in again.
    private static async Task<string> SignInAgainAsync(HttpClient client, Database database)
    {
        await using var connection = await database.OpenAsync();
        var (email, orgId) = await connection.QuerySingleAsync<(string, string)>(
            "SELECT u.email, m.org_id FROM users u JOIN members m ON m.user_id = u.id WHERE u.email LIKE 'bench-%' LIMIT 1");
        var login = await (await client.PostAsJsonAsync("auth/login", new { email, password = "correct horse battery staple" })).Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("token").GetString());
        return orgId;
    }

    private static async Task<string> SetUpOrgAsync(HttpClient client)
    {
        var email = $"bench-{Guid.NewGuid():N}@example.test";
        (await client.PostAsJsonAsync("auth/signup", new { email, password = "correct horse battery staple", name = "Bench Owner" })).EnsureSuccessStatusCode();
        var login = await (await client.PostAsJsonAsync("auth/login", new { email, password = "correct horse battery staple" })).Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login.GetProperty("token").GetString());
        var org = await (await client.PostAsJsonAsync("orgs", new { name = "Bench Org" })).Content.ReadFromJsonAsync<JsonElement>();
        return org.GetProperty("id").GetString()!;
    }

    private static async Task<List<string>> AddMembersAsync(Database database, string orgId)
    {
        await using var connection = await database.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var ids = new List<string>();
        for (var i = 0; i < Members; i++)
        {
            var userId = Ids.New("usr");
            var memberId = Ids.New("mem");
            await connection.ExecuteAsync(
                "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (@userId, @email, @name, 'x', 0)",
                new { userId, email = $"member{i}@bench.test", name = $"Member {i:D4}" }, tx);
            await connection.ExecuteAsync(
                "INSERT INTO members (id, org_id, user_id, role, created_at, role_since) VALUES (@memberId, @orgId, @userId, 'developer', 0, 0)",
                new { memberId, orgId, userId }, tx);
            ids.Add(memberId);
        }

        await tx.CommitAsync();
        return ids;
    }

    // The org's default developer limits (a monthly cap every member inherits) and, for every fourth
    // member, a rolling daily cap of their own, set before the simulated year began.
    private static async Task AddBudgetsAsync(Database database, string orgId, List<string> memberIds)
    {
        const long Dollar = 1_000_000_000_000;
        await using var connection = await database.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var setAt = DateTimeOffset.UtcNow.AddDays(-400).ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(
            """
            INSERT INTO budgets (scope_type, scope_id, org_id, spend_type, spend_limit_pico, spend_set_at, updated_at)
            VALUES ('default', @orgId, @orgId, 'monthly', @limit, @setAt, @setAt)
            """,
            new { orgId, limit = 500 * Dollar, setAt }, tx);
        for (var i = 0; i < memberIds.Count; i += 4)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO budgets (scope_type, scope_id, org_id, period_type, period_limit_pico, period_window, period_set_at, updated_at)
                VALUES ('member', @memberId, @orgId, 'rolling', @limit, 'day', @setAt, @setAt)
                """,
                new { memberId = memberIds[i], orgId, limit = 50 * Dollar, setAt }, tx);
        }

        await tx.CommitAsync();
    }

    /// <summary>
    /// <paramref name="rows"/> simulated ledger rows over the 366 days before <paramref name="end"/>, one
    /// UTC day at a time (every row of a day ends within it), so the fill never holds more than a day.
    /// </summary>
    private static IEnumerable<(DateTime Day, List<LedgerEntry> Entries)> Simulate(string orgId, List<string> memberIds, long rows, DateTimeOffset end)
    {
        var random = new Random(42);
        var models = Enumerable.Range(0, Models).Select(i => $"model-{i:D2}").ToArray();
        var providers = Enumerable.Range(0, 5).Select(i => $"provider-{i}").ToArray();
        var projects = Enumerable.Range(0, Projects).Select(i => $"prj_bench{i:D2}").ToArray();
        var regions = new[] { -5.0, 1.0, 5.5, 9.0 }; // UTC offsets of the members' working days (all within the UTC day)
        var member = memberIds.Select((id, i) => (
            Id: id,
            Keys: new[] { $"key_{i}_a", $"key_{i}_b" },
            Project: projects[i % Projects],
            Favourites: new[] { models[random.Next(Models)], models[random.Next(Models)], models[random.Next(Models)] },
            Offset: regions[i % regions.Length])).ToArray();
        var first = end.UtcDateTime.Date.AddDays(-365);
        var workdays = Enumerable.Range(0, 366).Select(d => first.AddDays(d)).Where(d => d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)).ToList();
        long n = 0;
        for (var w = 0; w < workdays.Count; w++)
        {
            var day = workdays[w];
            var today = (rows / workdays.Count) + (w < rows % workdays.Count ? 1 : 0);
            var entries = new List<LedgerEntry>((int)today);
            for (long r = 0; r < today; r++, n++)
            {
                var m = member[random.Next(Members)];
                var at = day.AddHours(9 - m.Offset).AddSeconds(random.Next(9 * 3600));
                var pick = random.Next(10);
                var model = m.Favourites[pick < 6 ? 0 : pick < 9 ? 1 : 2];
                var input = random.Next(50, 4000);
                var output = random.Next(10, 1500);
                var id = "led_bench" + n.ToString(CultureInfo.InvariantCulture);
                entries.Add(new LedgerEntry
                {
                    Id = id, RequestId = id, Attempt = 1, OrgId = orgId, ProjectId = m.Project, MemberId = m.Id, KeyId = m.Keys[random.Next(2)],
                    Service = "llm", Endpoint = "chat.completions", Model = model, Provider = providers[model[^1] % 5], ProviderModel = model,
                    Status = random.Next(100) == 0 ? LedgerStatus.UpstreamError : LedgerStatus.Ok, HttpStatus = 200,
                    InputTokens = input, CachedInputTokens = input / 4, OutputTokens = output, ReasoningTokens = output / 5,
                    CostPico = (input * 2_500_000L) + (output * 10_000_000L), StartedAt = at, EndedAt = new DateTimeOffset(at, TimeSpan.Zero),
                });
            }

            yield return (day, entries);
        }
    }
}
