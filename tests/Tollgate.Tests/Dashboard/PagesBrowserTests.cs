using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Dashboard;

/// <summary>
/// Every dashboard page at 1280 px and at 390 px: nothing scrolls sideways, axe-core finds no
/// critical or serious violation, and a full-page screenshot is written to the test output
/// (<c>dashboard-screenshots/</c>) for a person to look at.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class PagesBrowserTests(DashboardBrowser browser)
{
    [Theory]
    [InlineData(1280)]
    [InlineData(390)]
    public async Task EveryPage_AtWidth_FitsWithoutSidewaysScrollAndPassesAxe(int width)
    {
        // :: Data worth looking at: a developer with spend and a cap, a pending invite, a key budget.
        var host = browser.Host;
        var (devToken, devMemberId) = await AddDeveloperAsync(host);
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{devMemberId}/budget", """{"spend":{"type":"monthly","limit":"50"},"period":{"type":"rolling","limit":"0.0006","window":"day"},"maxActiveKeys":{"type":"limit","value":3}}""");
        var devKey = await CreateKeyAsync(host, "dev-laptop", devToken);
        await ChatAsync(host, devKey);
        using var owner = host.Server.CreateClient(host.Token);
        var invite = await (await owner.PostAsJsonAsync($"orgs/{host.OrgId}/invites", new { email = $"later-{Guid.NewGuid():N}@example.test", role = "billing", budget = new { spend = new { type = "monthly", limit = "500" } } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var inviteToken = invite.GetProperty("token").GetString()!;
        (await owner.PostAsJsonAsync($"orgs/{host.OrgId}/provider-keys", new { provider = "openai", name = $"Team OpenAI {width}", apiKey = "sk-test-pages-secret-0123456789" })).EnsureSuccessStatusCode();
        var o = $"/dashboard/orgs/{host.OrgId}";
        var pages = new (string Name, string Path, string Heading, string? Session)[]
        {
            ("login", "/login", "Sign in to Tollgate", null),
            ("signup", "/signup", "Create your account", null),
            ("invite", $"/invites/{inviteToken}", "Join Test Org", null),
            ("team", $"{o}/team", "Team", host.Token),
            ("member-detail", $"{o}/team/{devMemberId}", "Test User", host.Token),
            ("budgets", $"{o}/budgets", "Budgets", host.Token),
            ("keys", $"{o}/keys", "API keys", host.Token),
            ("projects", $"{o}/projects", "Projects", host.Token),
            ("audit", $"{o}/audit", "Audit log", host.Token),
            ("transactions", $"{o}/transactions", "Transactions", host.Token),
            ("analytics", $"{o}/analytics", "Analytics", host.Token),
            ("settings", $"{o}/settings", "Settings", host.Token),
            ("my-usage", $"{o}/me", "My usage", host.Token),
            ("developer-my-usage", $"{o}/me", "My usage", devToken),
            ("developer-keys", $"{o}/keys", "API keys", devToken),
            ("not-found", $"{o}/nothing-here", "Not found", host.Token),
        };

        var failures = new List<string>();
        foreach (var session in pages.Select(p => p.Session).Distinct())
        {
            await using var context = session is null ? await browser.NewContextAsync(width: width) : await browser.SignedInContextAsync(session, width: width);
            var page = await context.NewPageAsync();
            foreach (var (name, path, heading, _) in pages.Where(p => p.Session == session))
            {
                await page.GotoAsync(path);
                await DashboardBrowser.HeadingAsync(page, heading);
                await CheckAsync(page, $"{name}-{width}", failures);
            }

            if (session == host.Token)
            {
                // The Manage budget dialog is a page of its own at 390 px.
                await page.GotoAsync($"{o}/team");
                await DashboardBrowser.HeadingAsync(page, "Team");
                await page.GetByRole(AriaRole.Button, new() { Name = "Manage budget of Test User" }).First.ClickAsync();
                await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Manage budget" })).ToBeVisibleAsync();
                await DashboardBrowser.DialogReadyAsync(page);
                await CheckAsync(page, $"manage-budget-dialog-{width}", failures);
                await page.Keyboard.PressAsync("Escape");
                await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Manage budget" })).ToBeHiddenAsync();
                await page.GetByRole(AriaRole.Button, new() { Name = "Invite member" }).ClickAsync();
                await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Invite member" })).ToBeVisibleAsync();
                await DashboardBrowser.DialogReadyAsync(page);
                await CheckAsync(page, $"invite-dialog-{width}", failures);
                await page.Keyboard.PressAsync("Escape");
                await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Invite member" })).ToBeHiddenAsync();

                // The provider key dialog, on Settings.
                await page.GotoAsync($"{o}/settings");
                await DashboardBrowser.HeadingAsync(page, "Settings");
                await page.GetByRole(AriaRole.Button, new() { Name = "Add provider key" }).ClickAsync();
                await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Add provider key" })).ToBeVisibleAsync();
                await DashboardBrowser.DialogReadyAsync(page);
                await CheckAsync(page, $"provider-key-dialog-{width}", failures);
                await page.Keyboard.PressAsync("Escape");
                await Assertions.Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Add provider key" })).ToBeHiddenAsync();

                // Buy credits and Refund share one dialog; the grant made here gives the Refund button a row.
                await page.GotoAsync($"{o}/transactions");
                await DashboardBrowser.HeadingAsync(page, "Transactions");
                await page.GetByRole(AriaRole.Button, new() { Name = "Buy credits" }).ClickAsync();
                var buy = page.GetByRole(AriaRole.Dialog, new() { Name = "Buy credits" });
                await Assertions.Expect(buy).ToBeVisibleAsync();
                await DashboardBrowser.DialogReadyAsync(page);
                await CheckAsync(page, $"buy-credits-dialog-{width}", failures);
                await buy.GetByLabel("Credits (USD)").FillAsync("5");
                await buy.GetByRole(AriaRole.Button, new() { Name = "Grant credits" }).ClickAsync();
                await Assertions.Expect(buy).ToBeHiddenAsync();
                // The "credits added" notice fades out on its own; a half-faded notice is no page state to scan.
                await Assertions.Expect(page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
                await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Refund INV-") }).First.ClickAsync();
                var refund = page.GetByRole(AriaRole.Dialog, new() { Name = "Refund" });
                await Assertions.Expect(refund).ToBeVisibleAsync();
                await DashboardBrowser.DialogReadyAsync(page);
                await CheckAsync(page, $"refund-dialog-{width}", failures);
                await page.Keyboard.PressAsync("Escape");
                await Assertions.Expect(refund).ToBeHiddenAsync();
                await CheckAsync(page, $"transactions-with-rows-{width}", failures);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static async Task CheckAsync(IPage page, string name, List<string> failures)
    {
        await DashboardBrowser.ScreenshotAsync(page, name);
        var overflow = await DashboardBrowser.SidewaysOverflowAsync(page);
        if (overflow > 0)
        {
            failures.Add($"{name}: scrolls sideways by {overflow} px");
        }

        foreach (var violation in await DashboardBrowser.SeriousAxeViolationsAsync(page))
        {
            failures.Add($"{name}: {violation}");
        }
    }
}
