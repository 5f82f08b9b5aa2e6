using Microsoft.Playwright;
using Tollgate.Tests.Infrastructure;
using Tollgate.Tests.Team;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Tests.Dashboard;

/// <summary>The Team page of a big org: fifty members a page, Previous / Next, and a search box that reaches anyone.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class TeamPagingBrowserTests(DashboardBrowser browser)
{
    [Fact]
    public async Task TeamOfFiftyFive_ShowsFiftyAPage_NextShowsTheRest_SearchFindsOne()
    {
        var host = browser.Host;
        var (ownerToken, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(host.Server);
        await using (var connection = await TeamSetup.OpenDatabaseAsync(host.Server))
        {
            await TeamSetup.InsertMembersAsync(connection, orgId, 54, "admin", "Paged");
        }

        await using var context = await browser.SignedInContextAsync(ownerToken);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/dashboard/orgs/{orgId}/team");
        await DashboardBrowser.HeadingAsync(page, "Team");
        var rows = page.GetByRole(AriaRole.Region, new() { Name = "Members" }).Locator("tbody tr");
        var pages = page.GetByRole(AriaRole.Navigation, new() { Name = "Member pages" });

        await Expect(rows).ToHaveCountAsync(50);
        await Expect(pages.GetByRole(AriaRole.Status)).ToHaveTextAsync("Members 1–50 of 55");
        await Expect(pages.GetByRole(AriaRole.Button, new() { Name = "Previous" })).ToBeDisabledAsync();

        await pages.GetByRole(AriaRole.Button, new() { Name = "Next" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(5);
        await Expect(pages.GetByRole(AriaRole.Status)).ToHaveTextAsync("Members 51–55 of 55");
        await Expect(pages.GetByRole(AriaRole.Button, new() { Name = "Next" })).ToBeDisabledAsync();

        // Any member is one search away, whichever page they are on; the pages go when all fit.
        await page.GetByLabel("Search members").FillAsync("paged 007");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToContainTextAsync("Paged 007");
        await Expect(pages).ToHaveCountAsync(0);
        await page.GetByLabel("Search members").FillAsync("nobody by that name");
        await Expect(page.GetByText("No member matches the search.")).ToBeVisibleAsync();
    }
}
