using System.Text.Json;
using Microsoft.Playwright;
using Tollgate.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Dashboard;

/// <summary>
/// The Analytics page reads the analytics service in the viewer's own zone: browsers in Asia/Kolkata
/// and America/New_York show the same requests on the local days the service gives for those zones,
/// and name the zone.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class AnalyticsBrowserTests(DashboardBrowser browser)
{
    [Fact]
    public async Task Analytics_InTwoZones_ShowsTheRequestsOnTheServicesLocalDays()
    {
        var host = browser.Host;
        var (token, orgId, _, _, key) = await AccountSetup.CreateOrgWithKeyAsync(host.Server);
        const int Requests = 3;
        for (var i = 0; i < Requests; i++)
        {
            using var response = await ChatAsync(host, key).WaitAsync(AccountSetup.CallTimeout);
            Assert.True(response.IsSuccessStatusCode, $"chat: {(int)response.StatusCode}");
        }

        foreach (var zone in new[] { "Asia/Kolkata", "America/New_York" })
        {
            // :: The service's answer for the zone, once the requests are in the rollups.
            var activity = await ActivityAsync(host, token, orgId, zone, Requests);
            var busyDays = activity.GetProperty("days").EnumerateArray().Where(d => d.GetProperty("requests").GetInt64() > 0)
                .Select(d => (Date: d.GetProperty("date").GetString()!, Requests: d.GetProperty("requests").GetInt64())).ToList();
            Assert.Equal(Requests, busyDays.Sum(d => d.Requests));

            // :: The page in a browser of that zone: the zone named, the same range, the same requests on the same days.
            await using var context = await browser.SignedInContextAsync(token, timeZone: zone);
            var page = await context.NewPageAsync();
            await page.GotoAsync($"/dashboard/orgs/{orgId}/analytics");
            await DashboardBrowser.HeadingAsync(page, "Analytics");
            await Expect(page.GetByText($"Times in {zone}")).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Main)).ToContainTextAsync(
                $"{activity.GetProperty("from").GetString()} to {activity.GetProperty("to").GetString()}: {Tollgate.Dashboard.Display.Usd(Pico(activity.GetProperty("totals").GetProperty("cost")))}, {Requests} requests");
            await page.GetByRole(AriaRole.Tab, new() { Name = "Requests" }).ClickAsync();
            var perDay = page.GetByRole(AriaRole.Region, new() { Name = "Usage per day" });
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Requests per day" })).ToBeVisibleAsync();
            await Expect(perDay.GetByRole(AriaRole.Row)).ToHaveCountAsync(activity.GetProperty("days").GetArrayLength() + 1);
            foreach (var (date, count) in busyDays)
            {
                var row = perDay.GetByRole(AriaRole.Row).Filter(new() { HasText = date });
                await Expect(row.Locator("td").Last).ToHaveTextAsync(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            foreach (var quiet in activity.GetProperty("days").EnumerateArray().Select(d => d.GetProperty("date").GetString()!).Except(busyDays.Select(d => d.Date)))
            {
                await Expect(perDay.GetByRole(AriaRole.Row).Filter(new() { HasText = quiet }).Locator("td").Last).ToHaveTextAsync("0");
            }

            await DashboardBrowser.ScreenshotAsync(page, $"analytics-{zone.Replace('/', '-')}");
        }
    }

    private static long Pico(JsonElement usd) => Tollgate.Budgets.Money.ToPico(decimal.Parse(usd.GetString()!, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The activity answer for <paramref name="zone"/>, polled until the rollups hold <paramref name="requests"/> requests.</summary>
    private static async Task<JsonElement> ActivityAsync(Tollgate.Tests.Gateway.GatewayTestHost host, string token, string orgId, string zone, int requests)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var activity = await GetAsync(host, $"analytics/activity?organizationId={orgId}&timezone={Uri.EscapeDataString(zone)}", token).WaitAsync(AccountSetup.CallTimeout);
            if (activity.GetProperty("totals").GetProperty("requests").GetInt64() >= requests || DateTime.UtcNow > deadline)
            {
                return activity;
            }

            await Task.Delay(100);
        }
    }
}
