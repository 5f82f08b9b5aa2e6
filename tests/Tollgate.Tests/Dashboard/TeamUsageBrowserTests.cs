using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Tollgate.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Dashboard;

/// <summary>The Team page's usage over a range: Cost / Requests / Tokens tabs switch the chart and sort the members table.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class TeamUsageBrowserTests(DashboardBrowser browser)
{
    [Fact]
    public async Task TeamUsage_RequestsTab_ChartsAndSortsMembersByRequests()
    {
        var host = browser.Host;
        var (ownerToken, orgId, projectId, _, ownerKey) = await AccountSetup.CreateOrgWithKeyAsync(host.Server);
        using var owner = host.Server.CreateClient(ownerToken);
        var email = AccountSetup.NewEmail();
        var invite = await (await owner.PostAsJsonAsync($"orgs/{orgId}/invites", new { email, role = "developer", projectIds = new[] { projectId } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var (devToken, _) = await AccountSetup.SignUpAndLogInAsync(host.Server, email, "Zed Busy");
        using var developer = host.Server.CreateClient(devToken);
        Assert.True((await developer.PostAsync($"invites/{invite.GetProperty("token").GetString()}/accept", null)).IsSuccessStatusCode);
        var devKey = (await (await developer.PostAsJsonAsync($"orgs/{orgId}/keys", new { projectId, name = "busy" })).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("key").GetString()!;

        // The owner ("Test User") makes one request, the developer three: by requests the developer comes first.
        foreach (var key in new[] { ownerKey, devKey, devKey, devKey })
        {
            using var response = await ChatAsync(host, key).WaitAsync(AccountSetup.CallTimeout);
            Assert.True(response.IsSuccessStatusCode);
        }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await GetAsync(host, $"analytics/activity?organizationId={orgId}", ownerToken)).GetProperty("totals").GetProperty("requests").GetInt64() < 4
               && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await using var context = await browser.SignedInContextAsync(ownerToken);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/dashboard/orgs/{orgId}/team");
        await DashboardBrowser.HeadingAsync(page, "Team");
        var members = page.GetByRole(AriaRole.Region, new() { Name = "Members" });

        await page.GetByRole(AriaRole.Tab, new() { Name = "Requests" }).ClickAsync();
        await Expect(page.GetByText("sorted by requests")).ToBeVisibleAsync();
        var chart = page.GetByRole(AriaRole.Img, new() { Name = "Requests by member over the last 30 days; the numbers are in the members table." });
        await Expect(chart).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"Zed Busy\s*3\s*Test User\s*1"));
        var firstRow = members.GetByRole(AriaRole.Row).Nth(1);
        await Expect(firstRow).ToContainTextAsync("Zed Busy");
        await Expect(firstRow.Locator("td[data-label='Requests']")).ToHaveTextAsync("3");

        // A shorter range still holds today's requests, and says which range it is.
        await page.GetByLabel("Range").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Last 7 days" }).ClickAsync();
        await Expect(page.GetByText("over the last 7 days, sorted by requests")).ToBeVisibleAsync();
        await Expect(members.GetByRole(AriaRole.Row).Nth(1).Locator("td[data-label='Requests']")).ToHaveTextAsync("3");
    }
}
