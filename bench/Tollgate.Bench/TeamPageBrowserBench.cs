using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;

namespace Tollgate.Bench;

/// <summary>
/// The Team page as a person opens it, run by <see cref="AnalyticsBench"/> after <see cref="TeamPageBench"/>
/// when <c>/usr/bin/chromium</c> exists (<c>BENCH_BROWSER=false</c> skips it): headless Chromium signed in
/// as the owner opens <c>/dashboard/orgs/{org}/team</c> in a new page each time and waits until the
/// members table shows its first page (50 rows). Each open is a new Blazor circuit: the page's data
/// (every member's usage and budget), the render and the diff sent over the WebSocket. Prints the
/// median wall time and the server's CPU time per open (this process hosts the server; the browser
/// runs in its own processes, so the CPU delta is the server's own time for the page), next to the
/// same for the Projects page, opened in turn.
/// </summary>
internal static class TeamPageBrowserBench
{
    // The Team page's rows a page (its PageSize).
    private const int RowsShown = 50;

    public static async Task TimeAsync(string baseUrl, string sessionToken, string orgId, int members)
    {
        if (!File.Exists(BenchBrowser.ChromiumPath) || Environment.GetEnvironmentVariable("BENCH_BROWSER") == "false")
        {
            Console.WriteLine("team page in a browser: skipped (no /usr/bin/chromium, or BENCH_BROWSER=false)");
            return;
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BenchBrowser.LaunchAsync(playwright);
        var context = await BenchBrowser.SignedInContextAsync(browser, baseUrl, sessionToken, "Asia/Kolkata");

        // Interleaved with opens of the Projects page (a short list): what opening any dashboard page
        // costs the server (the circuit, the layout, the org's context), so the difference is the
        // Team page's own share.
        var team = (Walls: new List<double>(), Cpus: new List<double>());
        var baseline = (Walls: new List<double>(), Cpus: new List<double>());
        for (var i = 0; i < 20; i++)
        {
            var (wall, cpu) = await OpenAsync(context, $"/dashboard/orgs/{orgId}/team",
                "n => document.querySelectorAll('[aria-label=\"Members\"] tbody tr').length >= n", Math.Min(members, RowsShown));
            var (baseWall, baseCpu) = await OpenAsync(context, $"/dashboard/orgs/{orgId}/projects",
                "() => [...document.querySelectorAll('h1')].some(h => h.textContent.trim() === 'Projects') && document.querySelector('[aria-label=\"Projects\"]') !== null", null);
            if (i >= 8)
            {
                team.Walls.Add(wall); // the first eight warm up the browser and the server (tiered JIT runs in the background for a while)
                team.Cpus.Add(cpu);
                baseline.Walls.Add(baseWall);
                baseline.Cpus.Add(baseCpu);
            }
        }

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"team page in a browser ({members} members, {Math.Min(members, RowsShown)} rows a page): median {Median(team.Walls):F0} ms until the rows show, server CPU median {Median(team.Cpus):F0} ms per open (slowest {team.Cpus.Max():F0} ms); the Projects page {Median(baseline.Walls):F0} ms, server CPU {Median(baseline.Cpus):F0} ms; over {team.Cpus.Count} opens each (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
    }

    private static async Task<(double Wall, double Cpu)> OpenAsync(IBrowserContext context, string path, string readyScript, object? arg)
    {
        var page = await context.NewPageAsync();
        var cpuStarted = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        await page.GotoAsync(path);
        await page.WaitForFunctionAsync(readyScript, arg, new PageWaitForFunctionOptions { PollingInterval = 20, Timeout = 120_000 });
        var wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStarted).TotalMilliseconds;
        await page.CloseAsync();
        return (wall, cpu);
    }
}
