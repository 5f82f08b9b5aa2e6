using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Tollgate.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Tests.Dashboard;

/// <summary>Alert webhooks on the Settings page: saved through the alerts service, never shown in full, kept when sent back masked.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class SettingsBrowserTests(DashboardBrowser browser)
{
    [Fact]
    public async Task AlertWebhooks_SavedOnThePage_AreNeverShownInFullAndSurviveASaveOfTheMaskedForm()
    {
        var server = browser.Host.Server;
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var api = server.CreateClient(token);
        const string Secret = "T0001/B0001/s3cr3tPathOfTheHook";
        const string Slack = "https://hooks.slack.com/services/" + Secret;
        await using var context = await browser.SignedInContextAsync(token);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/dashboard/orgs/{orgId}/settings");
        await DashboardBrowser.HeadingAsync(page, "Settings");
        var alerts = page.GetByRole(AriaRole.Region, new() { Name = "Alert webhooks" });

        // :: An http URL: the API's message for the same document, next to the field; nothing saved.
        await alerts.GetByLabel("Discord webhook URL").FillAsync("http://discord.example/api/webhooks/1/x");
        await alerts.GetByRole(AriaRole.Button, new() { Name = "Save alerts" }).ClickAsync();
        using (var cts = new CancellationTokenSource(AccountSetup.CallTimeout))
        {
            using var invalid = await api.PutAsync($"orgs/{orgId}/alerts",
                new StringContent("""{"discordWebhookUrl":"http://discord.example/api/webhooks/1/x"}""", Encoding.UTF8, "application/json"), cts.Token);
            var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
            await Expect(alerts).ToContainTextAsync(problem.GetProperty("errors").GetProperty("discordWebhookUrl")[0].GetString()!);
        }

        // :: A Slack URL and thresholds: saved; the page then holds the masked form only, as the API shows it.
        await alerts.GetByLabel("Discord webhook URL").FillAsync("");
        await alerts.GetByLabel("Slack webhook URL").FillAsync(Slack);
        await alerts.GetByLabel("Thresholds (% of a cap)").FillAsync("50, 90");
        await alerts.GetByRole(AriaRole.Button, new() { Name = "Save alerts" }).ClickAsync();
        await Expect(alerts.GetByLabel("Slack webhook URL")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^https://hooks\\.slack\\.com/…"));
        var saved = await GetAlertsAsync(api, orgId);
        var masked = saved.GetProperty("slackWebhookUrl").GetString()!;
        Assert.DoesNotContain(Secret, masked);
        await Expect(alerts.GetByLabel("Slack webhook URL")).ToHaveValueAsync(masked);
        Assert.Equal([50, 90], saved.GetProperty("thresholds").EnumerateArray().Select(t => t.GetInt32()));
        Assert.DoesNotContain(Secret, await page.ContentAsync());

        // :: After a reload the URL is still masked; saving the page unchanged keeps the stored URL (audited as masked).
        await page.ReloadAsync();
        await DashboardBrowser.HeadingAsync(page, "Settings");
        await Expect(alerts.GetByLabel("Slack webhook URL")).ToHaveValueAsync(masked);
        Assert.DoesNotContain(Secret, await page.ContentAsync());
        await alerts.GetByLabel("Thresholds (% of a cap)").FillAsync("80");
        await alerts.GetByRole(AriaRole.Button, new() { Name = "Save alerts" }).ClickAsync();
        await Expect(page.GetByText("Alerts saved.")).ToBeVisibleAsync(); // the first page's notice went with the reload
        var kept = await GetAlertsAsync(api, orgId);
        Assert.Equal(masked, kept.GetProperty("slackWebhookUrl").GetString());
        Assert.Equal([80], kept.GetProperty("thresholds").EnumerateArray().Select(t => t.GetInt32()));
        var store = browser.Host.Server.App.Services.GetRequiredService<Tollgate.Analytics.Alerts.AlertSettingsStore>();
        Assert.Equal(Slack, (await store.GetAsync(orgId, CancellationToken.None).WaitAsync(AccountSetup.CallTimeout)).SlackWebhookUrl);
    }

    /// <summary>The alert settings as the API shows them.</summary>
    private static async Task<JsonElement> GetAlertsAsync(HttpClient api, string orgId)
    {
        using var cts = new CancellationTokenSource(AccountSetup.CallTimeout);
        return await api.GetFromJsonAsync<JsonElement>($"orgs/{orgId}/alerts", cts.Token);
    }
}
