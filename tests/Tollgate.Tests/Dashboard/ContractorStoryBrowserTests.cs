using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Tollgate.Budgets;
using Tollgate.Dashboard;
using Tollgate.Tests.Gateway;
using static Microsoft.Playwright.Assertions;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Dashboard;

/// <summary>"A contractor is productive, and capped, in one invite", clicked through in a real browser.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class ContractorStoryBrowserTests(DashboardBrowser browser)
{
    private const string Password = "contractor story password";

    [Fact]
    public async Task ContractorStory_ClickedThrough_DeveloperIsCappedAndSeesTheCapAtItsLimit()
    {
        var ownerEmail = $"owner-{Guid.NewGuid():N}@example.test";
        var devEmail = $"dev-{Guid.NewGuid():N}@example.test";

        // :: The owner signs up and creates an org: they land on Team.
        await using var ownerContext = await browser.NewContextAsync("Europe/Paris");
        var owner = await ownerContext.NewPageAsync();
        await owner.GotoAsync("/signup");
        await owner.GetByLabel("Name").FillAsync("Olivia Owner");
        await owner.GetByLabel("Email").FillAsync(ownerEmail);
        await owner.GetByLabel("Password").FillAsync(Password);
        await owner.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await DashboardBrowser.HeadingAsync(owner, "Organizations");
        await owner.GetByLabel("Organization name").FillAsync("Contractor Co");
        await owner.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
        await DashboardBrowser.HeadingAsync(owner, "Team");
        var orgId = owner.Url.Split("/orgs/")[1].Split('/')[0];

        // :: Two projects; the contractor will get one.
        await owner.GetByRole(AriaRole.Link, new() { Name = "Projects" }).ClickAsync();
        await DashboardBrowser.HeadingAsync(owner, "Projects");
        foreach (var name in new[] { "Contractor app", "Secret project" })
        {
            await owner.GetByLabel("Project name").FillAsync(name);
            await owner.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
            await Expect(owner.GetByRole(AriaRole.Cell, new() { Name = name, Exact = true })).ToBeVisibleAsync();
        }

        // :: Default developer limits: a monthly spend budget every developer inherits.
        await owner.GetByRole(AriaRole.Link, new() { Name = "Team" }).ClickAsync();
        await DashboardBrowser.HeadingAsync(owner, "Team");
        await owner.GetByRole(AriaRole.Button, new() { Name = "Edit defaults" }).ClickAsync();
        var defaults = owner.GetByRole(AriaRole.Dialog, new() { Name = "Default developer limits" });
        await defaults.GetByRole(AriaRole.Radio, new() { Name = "Monthly" }).ClickAsync();
        await defaults.GetByLabel("Spend limit (USD)").FillAsync("5");
        await defaults.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(defaults).ToBeHiddenAsync();
        var defaultsCard = owner.GetByRole(AriaRole.Region, new() { Name = "Default developer limits" });
        await Expect(defaultsCard).ToContainTextAsync("Spend: $5.00/month");

        // :: One invite: developer of one project, with their own period cap a few requests deep.
        await owner.GetByRole(AriaRole.Button, new() { Name = "Invite member" }).ClickAsync();
        var invite = owner.GetByRole(AriaRole.Dialog, new() { Name = "Invite member" });
        await DashboardBrowser.DialogReadyAsync(owner);
        await invite.GetByLabel("Email").FillAsync(devEmail);
        await Expect(invite.GetByRole(AriaRole.Region, new() { Name = "Role info" })).ToContainTextAsync("Create, rotate, disable and delete own API keys");
        await invite.GetByRole(AriaRole.Checkbox, new() { Name = "Contractor app" }).ClickAsync();
        var caps = invite.GetByRole(AriaRole.Region, new() { Name = "Caps" });
        await caps.GetByRole(AriaRole.Radio, new() { Name = "Rolling" }).ClickAsync();
        // A bad amount: the budget API's own message, next to its field, and no invite made.
        await caps.GetByLabel("Period limit (USD)").FillAsync("-1");
        await invite.GetByRole(AriaRole.Button, new() { Name = "Send invite" }).ClickAsync();
        using (var bad = JsonDocument.Parse("""{"period":{"type":"rolling","limit":"-1","window":"day"}}"""))
        {
            var expected = BudgetDocument.Parse(bad.RootElement, keyBudget: false).Errors["period.limit"].Single();
            await Expect(caps.GetByText(expected)).ToBeVisibleAsync();
        }

        await caps.GetByLabel("Period limit (USD)").FillAsync("0.0006");
        await invite.GetByRole(AriaRole.Button, new() { Name = "Send invite" }).ClickAsync();
        await Expect(invite).ToBeHiddenAsync();
        var link = (await owner.GetByLabel("Invite link").TextContentAsync())!.Trim();
        Assert.StartsWith(browser.BaseUrl + "/invites/tgi_", link);
        var pending = owner.GetByRole(AriaRole.Region, new() { Name = "Pending invitations" });
        await Expect(pending).ToContainTextAsync(devEmail);
        await Expect(pending).ToContainTextAsync("Period: $0.0006/day");
        await Expect(pending).ToContainTextAsync("Spend: Not set");

        // :: The developer opens the link, signs up, accepts: they land on My usage.
        await using var devContext = await browser.NewContextAsync("America/New_York");
        var dev = await devContext.NewPageAsync();
        await dev.GotoAsync(link);
        await Expect(dev.GetByRole(AriaRole.Heading, new() { Name = "Join Contractor Co" })).ToBeVisibleAsync();
        await Expect(dev.Locator("dl")).ToContainTextAsync("Contractor app");
        await Expect(dev.Locator("dl")).ToContainTextAsync("Period: $0.0006/day");
        await dev.GetByRole(AriaRole.Link, new() { Name = "Create an account" }).ClickAsync();
        await dev.GetByLabel("Name").FillAsync("Carl Contractor");
        await dev.GetByLabel("Email").FillAsync(devEmail);
        await dev.GetByLabel("Password").FillAsync(Password);
        await dev.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await dev.GetByRole(AriaRole.Button, new() { Name = "Accept invite" }).ClickAsync();
        await DashboardBrowser.HeadingAsync(dev, "My usage");
        await Expect(dev.GetByText("Times in America/New_York")).ToBeVisibleAsync();

        // Navigation offers only what a developer may open; Team typed by hand is Not found.
        var nav = dev.GetByRole(AriaRole.Navigation, new() { Name = "Dashboard" });
        await Expect(nav.GetByRole(AriaRole.Link)).ToHaveTextAsync(["API keys", "Projects", "My usage"]);
        // The invite's cap is the member's own from the start; the spend budget comes from the defaults.
        var period = dev.GetByRole(AriaRole.Region, new() { Name = "Period cap" });
        await Expect(period).ToContainTextAsync("$0.0006/day");
        await Expect(period).ToContainTextAsync("Set on this member");
        await Expect(period).ToContainTextAsync(DashboardBrowser.Term("Remaining", "$0.0006"));
        var spend = dev.GetByRole(AriaRole.Region, new() { Name = "Spend budget" });
        await Expect(spend).ToContainTextAsync("$5.00/month");
        await Expect(spend).ToContainTextAsync("From default developer limits");

        // :: A key made on the page works on the gateway at once.
        await dev.GetByRole(AriaRole.Button, new() { Name = "Create API key" }).ClickAsync();
        var create = dev.GetByRole(AriaRole.Dialog, new() { Name = "Create API key" });
        await create.GetByLabel("Name").FillAsync("contractor-laptop");
        await create.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true }).ClickAsync();
        var shown = dev.GetByRole(AriaRole.Dialog, new() { Name = "API key created" });
        var secret = (await shown.GetByLabel("API key secret").TextContentAsync())!.Trim();
        Assert.StartsWith("tgk_", secret);
        await Expect(shown.GetByRole(AriaRole.Button, new() { Name = "Copy" })).ToBeVisibleAsync();
        await shown.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(dev.GetByRole(AriaRole.Region, new() { Name = "API keys", Exact = true })).ToContainTextAsync("contractor-laptop");

        var host = browser.Host;
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host, secret)).StatusCode);

        // :: Capped: requests go through until the default cap is reached, then the exact 403.
        HttpResponseMessage last;
        var sent = 1;
        do
        {
            last = await ChatAsync(host, secret);
            sent++;
        }
        while (last.StatusCode == HttpStatusCode.OK && sent < 50);

        await AssertDeniedAsync(last, "member_period_budget_exceeded", BudgetMessages.MemberPeriod);

        // :: The page shows what admission enforces: the cap's numbers and when it resets, in the viewer's zone.
        var token = await DashboardBrowser.SessionTokenAsync(devContext);
        using var api = host.Server.CreateClient(token);
        // The key's last use is recorded just after its latest ledger batch: wait for the end of its latest row.
        long latestUse;
        await using (var connection = await Tollgate.Tests.Team.TeamSetup.OpenDatabaseAsync(host.Server))
        {
            latestUse = await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection,
                "SELECT MAX(l.ended_at) FROM ledger l JOIN api_keys k ON k.id = l.key_id WHERE k.org_id = @orgId AND k.name = 'contractor-laptop'", new { orgId });
        }

        string? lastUsed = null;
        for (var until = DateTime.UtcNow.AddSeconds(15); lastUsed != Tollgate.Accounts.ApiTime.FromUnixMs(latestUse) && DateTime.UtcNow < until;)
        {
            var keys = JsonDocument.Parse(await api.GetStringAsync($"orgs/{orgId}/keys")).RootElement;
            lastUsed = keys.GetProperty("data")[0].GetProperty("lastUsedAt").GetString();
            await Task.Delay(lastUsed == Tollgate.Accounts.ApiTime.FromUnixMs(latestUse) ? 0 : 50);
        }

        Assert.Equal(Tollgate.Accounts.ApiTime.FromUnixMs(latestUse), lastUsed);
        await dev.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        var budget = JsonDocument.Parse(await api.GetStringAsync($"orgs/{orgId}/members/me/budget")).RootElement;
        var usage = budget.GetProperty("usage").GetProperty("period");
        var used = Money.ToPico(decimal.Parse(usage.GetProperty("used").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        var remaining = Money.ToPico(decimal.Parse(usage.GetProperty("remaining").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        var resetsAt = DateTimeOffset.Parse(usage.GetProperty("resetsAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        await Expect(period).ToContainTextAsync(DashboardBrowser.Term("Used", Display.Usd(used)));
        await Expect(period).ToContainTextAsync(DashboardBrowser.Term("Remaining", Display.Usd(remaining)));
        await Expect(period).ToContainTextAsync(
            $"Resets at {TimeZoneInfo.ConvertTime(resetsAt, newYork):yyyy-MM-dd HH:mm} (America/New_York)");
        if (budget.GetProperty("status").GetString() == "paused")
        {
            await Expect(period).ToContainTextAsync("Paused");
        }

        var lastUsedLocal = TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeMilliseconds(latestUse), newYork);
        await Expect(dev.GetByRole(AriaRole.Region, new() { Name = "API keys", Exact = true })).ToContainTextAsync($"{lastUsedLocal:yyyy-MM-dd HH:mm}");

        // The cap is spent as far as requests can go: what is left is less than one more request reserves.
        Assert.True(used > 0 && remaining < Money.ToPico(0.0006m), $"used {used}, remaining {remaining}");

        await dev.GotoAsync($"/dashboard/orgs/{orgId}/team");
        await DashboardBrowser.HeadingAsync(dev, "Not found");
        await dev.GotoAsync($"/dashboard/orgs/{orgId}/projects");
        await DashboardBrowser.HeadingAsync(dev, "Projects");
        await Expect(dev.GetByRole(AriaRole.Region, new() { Name = "Projects", Exact = true })).ToContainTextAsync("Contractor app");
        await Expect(dev.GetByRole(AriaRole.Region, new() { Name = "Projects", Exact = true })).Not.ToContainTextAsync("Secret project");
    }
}
