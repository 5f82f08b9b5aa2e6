using System.Net;
using Microsoft.Playwright;
using Tollgate.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Dashboard;

/// <summary>Sign-in, sign-out and who sees what: the dashboard's session is the API's, and hidden pages look like unknown ones.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class SignInBrowserTests(DashboardBrowser browser)
{
    [Fact]
    public async Task SignIn_WrongPassword_SaysSoAndStaysSignedOut()
    {
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(browser.Host.Server);
        var email = await browser.EmailOfAsync(token);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await DashboardBrowser.SignInAsync(page, email, "not the password");

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Invalid email or password.");
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "tollgate_session");
    }

    [Fact]
    public async Task SignOut_EndsTheSessionForTheApiToo()
    {
        var (apiToken, _) = await AccountSetup.SignUpAndLogInAsync(browser.Host.Server);
        var email = await browser.EmailOfAsync(apiToken);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await DashboardBrowser.SignInAsync(page, email, AccountSetup.Password);
        await DashboardBrowser.HeadingAsync(page, "Organizations");
        var pageToken = await DashboardBrowser.SessionTokenAsync(context);
        using var api = browser.Host.Server.CreateClient(pageToken);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("me")).StatusCode);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("me")).StatusCode);
        await page.GotoAsync("/dashboard");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in" })).ToBeVisibleAsync();
        Assert.Contains("returnUrl=%2Fdashboard", page.Url);
    }

    [Fact]
    public async Task Developer_OrgPagesTypedByHand_AreTheSameNotFoundAsAnUnknownOrg()
    {
        var host = browser.Host;
        var (devToken, _) = await AddDeveloperAsync(host);
        var ownerMemberId = (await GetAsync(host, $"orgs/{host.OrgId}/members/me")).GetProperty("memberId").GetString()!;
        await using var context = await browser.SignedInContextAsync(devToken);
        var page = await context.NewPageAsync();
        var o = $"/dashboard/orgs/{host.OrgId}";

        await page.GotoAsync($"/dashboard/orgs/org_unknown/team");
        await DashboardBrowser.HeadingAsync(page, "Not found");
        var unknown = await page.GetByRole(AriaRole.Main).InnerTextAsync();
        foreach (var hidden in new[] { "team", $"team/{ownerMemberId}", "budgets", "audit", "settings", "transactions-or-anything" })
        {
            await page.GotoAsync($"{o}/{hidden}");
            await DashboardBrowser.HeadingAsync(page, "Not found");
            Assert.Equal(unknown, await page.GetByRole(AriaRole.Main).InnerTextAsync());
        }

        // What a developer may open is there, and the navigation offers nothing else.
        await page.GotoAsync($"{o}/me");
        await DashboardBrowser.HeadingAsync(page, "My usage");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Dashboard" }).GetByRole(AriaRole.Link))
            .ToHaveTextAsync(["API keys", "Projects", "My usage"]);
    }
}
