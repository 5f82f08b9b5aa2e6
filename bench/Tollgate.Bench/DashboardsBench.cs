using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;

namespace Tollgate.Bench;

/// <summary>
/// Holds dashboards open in headless Chromium for <c>bench/dashboards.sh</c>:
/// <code>
/// dotnet bench/Tollgate.Bench/bin/Release/net10.0/Tollgate.Bench.dll dashboards BASE_URL SESSION_TOKEN ORG_ID [COUNT] [SECONDS]
/// </code>
/// Opens COUNT pages (default 20), each in its own browser context signed in with the session
/// cookie, half on the Team page and half on My usage (the two pages a person leaves open), waits
/// until each shows its heading, prints <c>ready N</c>, then keeps them open (their Blazor circuits
/// live) until SECONDS pass or standard input closes, and closes the browser.
/// </summary>
internal static class DashboardsBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var baseUrl = args[1].TrimEnd('/');
        var token = args[2];
        var orgId = args[3];
        var count = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 20;
        var seconds = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 600;
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BenchBrowser.LaunchAsync(playwright);
        var opened = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var context = await BenchBrowser.SignedInContextAsync(browser, baseUrl, token);
            var page = await context.NewPageAsync();
            var (path, heading) = i % 2 == 0 ? ($"/dashboard/orgs/{orgId}/team", "Team") : ($"/dashboard/orgs/{orgId}/me", "My usage");
            await page.GotoAsync(path);
            await page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1, Exact = true }).WaitForAsync();
        }

        Console.WriteLine(FormattableString.Invariant($"ready {count} in {opened.Elapsed.TotalSeconds:F1} s"));
        var stdinClosed = Task.Run(() => Console.In.ReadToEnd());
        await Task.WhenAny(stdinClosed, Task.Delay(TimeSpan.FromSeconds(seconds)));
        return 0;
    }
}
