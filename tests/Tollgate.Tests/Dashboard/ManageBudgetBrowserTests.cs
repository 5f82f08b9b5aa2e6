using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Tollgate.Budgets;
using Tollgate.Dashboard;
using Tollgate.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Dashboard;

/// <summary>The Manage budget dialog makes every switch of budgets.md's switching table, and shows the API's field errors.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class ManageBudgetBrowserTests(DashboardBrowser browser)
{
    [Fact]
    public async Task ManageBudget_EverySwitchOfTheTable_CountsAsBudgetsMdSays()
    {
        var host = browser.Host;
        var name = $"Switcher {Guid.NewGuid().ToString("N")[..8]}";
        var (devToken, memberId) = await AddNamedDeveloperAsync(name);
        var key = await CreateKeyAsync(host, "switch-key", devToken);
        await ChatAsync(host, key);

        await using var context = await browser.SignedInContextAsync(host.Token);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/dashboard/orgs/{host.OrgId}/team");
        await DashboardBrowser.HeadingAsync(page, "Team");
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = name });

        // not set → fixed: used starts from $0 at the switch, no reset.
        await SwitchAsync(page, name, "Fixed", "10");
        await Expect(row).ToContainTextAsync("Spend: $10.00 total");
        var spend = await SpendAsync(memberId);
        Assert.Equal(0, spend.Used);
        Assert.Null(spend.ResetsAt);
        await ExpectNowAsync(page, name, "$10.00 total", spend.Used);

        // fixed → monthly: tracking begins at the switch; first reset on the 1st of next month (UTC).
        await ChatAsync(host, key);
        Assert.True((await SpendAsync(memberId)).Used > 0);
        await SwitchAsync(page, name, "Monthly", null);
        await Expect(row).ToContainTextAsync("Spend: $10.00/month");
        spend = await SpendAsync(memberId);
        Assert.Equal(0, spend.Used);
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1), spend.ResetsAt);

        // monthly → fixed: the month's used amount is kept; the reset stops.
        await ChatAsync(host, key);
        var monthUsed = (await SpendAsync(memberId)).Used;
        Assert.True(monthUsed > 0);
        await SwitchAsync(page, name, "Fixed", null);
        await Expect(row).ToContainTextAsync("Spend: $10.00 total");
        spend = await SpendAsync(memberId);
        Assert.Equal(monthUsed, spend.Used);
        Assert.Null(spend.ResetsAt);

        // Only the limit changes: used unchanged, remaining = new limit − used.
        await SwitchAsync(page, name, "Fixed", "20");
        await Expect(row).ToContainTextAsync("Spend: $20.00 total");
        spend = await SpendAsync(memberId);
        Assert.Equal(monthUsed, spend.Used);
        Assert.Equal(Money.ToPico(20m) - monthUsed, spend.Remaining);
        await ExpectNowAsync(page, name, "$20.00 total", spend.Used);

        // any → unlimited: cleared, unrestricted at once.
        await SwitchAsync(page, name, "Unlimited", null);
        await Expect(row).ToContainTextAsync("Spend: Unlimited");
        Assert.Null((await SpendAsync(memberId)).Limit);

        // any → not set: the member's own cap is cleared and the developer inherits the default again.
        await PutOkAsync(host, $"orgs/{host.OrgId}/default-developer-limits", """{"spend":{"type":"monthly","limit":"5"}}""");
        try
        {
            await SwitchAsync(page, name, "Not set", null);
            await Expect(row).ToContainTextAsync("Spend: $5.00/month (default)");
            Assert.Equal(Money.ToPico(5m), (await SpendAsync(memberId)).Limit);
        }
        finally
        {
            await PutOkAsync(host, $"orgs/{host.OrgId}/default-developer-limits", "{}");
        }

        // not set / unlimited → monthly: counting begins at the switch.
        await SwitchAsync(page, name, "Monthly", "7.5");
        await Expect(row).ToContainTextAsync("Spend: $7.50/month");
        Assert.Equal(0, (await SpendAsync(memberId)).Used);
    }

    [Fact]
    public async Task ManageBudget_InvalidAmount_ShowsTheApisMessageNextToTheField()
    {
        var host = browser.Host;
        var name = $"Typo {Guid.NewGuid().ToString("N")[..8]}";
        var (_, memberId) = await AddNamedDeveloperAsync(name);
        await using var context = await browser.SignedInContextAsync(host.Token);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/dashboard/orgs/{host.OrgId}/team");
        await DashboardBrowser.HeadingAsync(page, "Team");

        var dialog = await OpenAsync(page, name);
        var spend = dialog.GetByRole(AriaRole.Group, new() { Name = "Spend budget" });
        await spend.GetByRole(AriaRole.Radio, new() { Name = "Fixed", Exact = true }).ClickAsync();
        await spend.GetByLabel("Spend limit (USD)").FillAsync("12.5.0");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        // The message is the API's own for the same document, shown inside the spend fieldset.
        using var owner = host.Server.CreateClient(host.Token);
        var api = await owner.PutAsync($"orgs/{host.OrgId}/members/{memberId}/budget",
            new StringContent("""{"spend":{"type":"fixed","limit":"12.5.0"}}""", System.Text.Encoding.UTF8, "application/json"));
        var message = (await api.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("spend.limit")[0].GetString()!;
        await Expect(spend).ToContainTextAsync(message);
        await Expect(dialog).ToBeVisibleAsync();

        // Nothing was saved; Escape closes the dialog.
        Assert.Null((await SpendAsync(memberId)).Limit);
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
    }

    private async Task<(string Token, string MemberId)> AddNamedDeveloperAsync(string name)
    {
        var host = browser.Host;
        var email = AccountSetup.NewEmail();
        using var owner = host.Server.CreateClient(host.Token);
        var invite = await (await owner.PostAsJsonAsync($"orgs/{host.OrgId}/invites", new { email, role = "developer", projectIds = new[] { host.ProjectId } }))
            .Content.ReadFromJsonAsync<JsonElement>();
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(host.Server, email, name);
        using var developer = host.Server.CreateClient(token);
        var accepted = await (await developer.PostAsync($"invites/{invite.GetProperty("token").GetString()}/accept", null)).Content.ReadFromJsonAsync<JsonElement>();
        return (token, accepted.GetProperty("memberId").GetString()!);
    }

    private static async Task<ILocator> OpenAsync(IPage page, string member)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = $"Manage budget of {member}" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Manage budget" });
        await Expect(dialog).ToBeVisibleAsync();
        await DashboardBrowser.DialogReadyAsync(page);
        return dialog;
    }

    private static async Task SwitchAsync(IPage page, string member, string mode, string? amount)
    {
        var dialog = await OpenAsync(page, member);
        var spend = dialog.GetByRole(AriaRole.Group, new() { Name = "Spend budget" });
        await spend.GetByRole(AriaRole.Radio, new() { Name = mode, Exact = true }).ClickAsync();
        if (amount is not null)
        {
            await spend.GetByLabel("Spend limit (USD)").FillAsync(amount);
        }

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
    }

    /// <summary>The dialog shows the cap and the used amount the engine enforces.</summary>
    private static async Task ExpectNowAsync(IPage page, string member, string cap, long usedPico)
    {
        var dialog = await OpenAsync(page, member);
        await Expect(dialog.GetByRole(AriaRole.Group, new() { Name = "Spend budget" })).ToContainTextAsync($"Now: {cap} · used {Display.Usd(usedPico)}");
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
    }

    private async Task<(long Used, long? Limit, long? Remaining, DateTimeOffset? ResetsAt)> SpendAsync(string memberId)
    {
        var host = browser.Host;
        var budget = await GetAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget");
        var spend = budget.GetProperty("usage").GetProperty("spend");
        static long? Pico(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : Money.ToPico(decimal.Parse(e.GetString()!, CultureInfo.InvariantCulture));
        var resets = spend.GetProperty("resetsAt");
        return (Pico(spend.GetProperty("used"))!.Value, Pico(spend.GetProperty("limit")), Pico(spend.GetProperty("remaining")),
            resets.ValueKind == JsonValueKind.Null ? null : DateTimeOffset.Parse(resets.GetString()!, CultureInfo.InvariantCulture));
    }
}
