using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Tollgate.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Tests.Dashboard;

/// <summary>Provider keys on the Settings page: added, rotated and deleted through the provider-key service; only the hint is ever shown.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class ProviderKeysBrowserTests(DashboardBrowser browser)
{
    private const string First = "sk-test-first-secret-0123456789";
    private const string Second = "sk-test-second-secret-9876543210";

    [Fact]
    public async Task ProviderKeys_AddRotateDelete_OnSettings_ShowOnlyTheHintTheApiShows()
    {
        var server = browser.Host.Server;
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var api = server.CreateClient(token);
        await using var context = await browser.SignedInContextAsync(token);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/dashboard/orgs/{orgId}/settings");
        await DashboardBrowser.HeadingAsync(page, "Settings");
        var section = page.GetByRole(AriaRole.Region, new() { Name = "Provider keys" });
        await Expect(section).ToContainTextAsync("No provider keys");

        // :: Add without the secret: the service's message for the same request, next to the field.
        await section.GetByRole(AriaRole.Button, new() { Name = "Add provider key" }).ClickAsync();
        var add = page.GetByRole(AriaRole.Dialog, new() { Name = "Add provider key" });
        await DashboardBrowser.DialogReadyAsync(page);
        await add.GetByLabel("Name").FillAsync("Team OpenAI");
        await add.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        var refused = await SendAsync(api, HttpMethod.Post, $"orgs/{orgId}/provider-keys", new { provider = "openai", name = "Team OpenAI", apiKey = "" });
        await Expect(add.GetByText(refused.GetProperty("errors").GetProperty("apiKey")[0].GetString()!)).ToBeVisibleAsync();

        // :: With the key: listed with the API's hint; the secret is nowhere on the page.
        await add.GetByLabel("API key").FillAsync(First);
        await add.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        await Expect(add).ToBeHiddenAsync();
        var listed = (await SendAsync(api, HttpMethod.Get, $"orgs/{orgId}/provider-keys")).GetProperty("data").EnumerateArray().Single();
        var hint = listed.GetProperty("hint").GetString()!;
        await Expect(section).ToContainTextAsync("Team OpenAI");
        await Expect(section).ToContainTextAsync(hint);
        Assert.DoesNotContain(First, await page.ContentAsync());

        // :: Rotate: the new secret's hint replaces the old one.
        await section.GetByRole(AriaRole.Button, new() { Name = "Rotate Team OpenAI" }).ClickAsync();
        var rotate = page.GetByRole(AriaRole.Dialog, new() { Name = "Rotate provider key" });
        await DashboardBrowser.DialogReadyAsync(page);
        await rotate.GetByLabel("API key").FillAsync(Second);
        await rotate.GetByRole(AriaRole.Button, new() { Name = "Rotate", Exact = true }).ClickAsync();
        await Expect(rotate).ToBeHiddenAsync();
        var rotated = (await SendAsync(api, HttpMethod.Get, $"orgs/{orgId}/provider-keys/{listed.GetProperty("id").GetString()}")).GetProperty("hint").GetString()!;
        Assert.NotEqual(hint, rotated);
        await Expect(section).ToContainTextAsync(rotated);
        await Expect(section).Not.ToContainTextAsync(hint);
        Assert.DoesNotContain(Second, await page.ContentAsync());

        // :: Delete asks first (a dialog of the page, not the browser's); Cancel keeps the key, Delete removes it.
        await section.GetByRole(AriaRole.Button, new() { Name = "Delete Team OpenAI" }).ClickAsync();
        var confirm = page.GetByRole(AriaRole.Dialog, new() { Name = "Delete provider key" });
        await Expect(confirm).ToContainTextAsync("Delete Team OpenAI (openai)?");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(confirm).ToBeHiddenAsync();
        await Expect(section).ToContainTextAsync("Team OpenAI");
        await section.GetByRole(AriaRole.Button, new() { Name = "Delete Team OpenAI" }).ClickAsync();
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(section).ToContainTextAsync("No provider keys");
        Assert.Equal(0, (await SendAsync(api, HttpMethod.Get, $"orgs/{orgId}/provider-keys")).GetProperty("data").GetArrayLength());
    }

    private static async Task<JsonElement> SendAsync(HttpClient api, HttpMethod method, string path, object? body = null)
    {
        using var cts = new CancellationTokenSource(AccountSetup.CallTimeout);
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await api.SendAsync(request, cts.Token);
        return await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
    }
}
