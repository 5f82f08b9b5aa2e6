using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Tollgate.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Tests.Dashboard;

/// <summary>
/// The Transactions page on a server without a payment provider: Buy credits is the owner's grant,
/// Refund asks amount and reason with the API's errors next to the fields, and the Invoice and Credit
/// note downloads are the very PDF files the API serves.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class TransactionsBrowserTests(DashboardBrowser browser)
{
    [Fact]
    public async Task Transactions_BuyRefundAndDownload_SameDocumentsAndMessagesAsTheApi()
    {
        var server = browser.Host.Server;
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var api = server.CreateClient(token);
        await using var context = await browser.SignedInContextAsync(token);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/dashboard/orgs/{orgId}/transactions");
        await DashboardBrowser.HeadingAsync(page, "Transactions");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Transactions" })).ToContainTextAsync("No transactions match these filters.");

        // :: Buy credits: an invalid amount shows the API's own message under the field; a valid one is granted at once.
        await page.GetByRole(AriaRole.Button, new() { Name = "Buy credits" }).ClickAsync();
        var buy = page.GetByRole(AriaRole.Dialog, new() { Name = "Buy credits" });
        await Expect(buy).ToBeVisibleAsync();
        await DashboardBrowser.DialogReadyAsync(page);
        await buy.GetByLabel("Credits (USD)").FillAsync("0");
        await buy.GetByRole(AriaRole.Button, new() { Name = "Grant credits" }).ClickAsync();
        var zeroMessage = await FieldErrorAsync(api, $"orgs/{orgId}/credits/purchase", """{"amount":"0"}""", "amount");
        await Expect(buy).ToContainTextAsync(zeroMessage);
        await buy.GetByLabel("Credits (USD)").FillAsync("40");
        await buy.GetByRole(AriaRole.Button, new() { Name = "Grant credits" }).ClickAsync();
        await Expect(buy).ToBeHiddenAsync();

        var purchase = (await ListAsync(api, orgId)).Single();
        Assert.Equal(("credit_purchase", "completed"), (purchase.GetProperty("type").GetString(), purchase.GetProperty("status").GetString()));
        var invoiceNumber = purchase.GetProperty("documentNumber").GetString()!;
        var credits = page.GetByRole(AriaRole.Region, new() { Name = "Credits" });
        await Expect(credits).ToContainTextAsync(DashboardBrowser.Term("Balance", "$40.00"));

        // :: The invoice the page downloads is the API's PDF, byte for byte, under the same file name.
        await DownloadMatchesApiAsync(page, api, $"Invoice {invoiceNumber}", $"orgs/{orgId}/transactions/{purchase.GetProperty("id").GetString()}/invoice");

        // :: Refund: no reason → the API's message next to Reason; then $10 with a reason.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Refund {invoiceNumber}" }).ClickAsync();
        var refund = page.GetByRole(AriaRole.Dialog, new() { Name = "Refund" });
        await Expect(refund).ToBeVisibleAsync();
        await DashboardBrowser.DialogReadyAsync(page);
        await refund.GetByLabel("Amount (USD)").FillAsync("10");
        await refund.GetByRole(AriaRole.Button, new() { Name = "Refund", Exact = true }).ClickAsync();
        var reasonMessage = await FieldErrorAsync(api, $"orgs/{orgId}/transactions/{purchase.GetProperty("id").GetString()}/refund", """{"amount":"10"}""", "reason");
        await Expect(refund).ToContainTextAsync(reasonMessage);
        Assert.Single(await ListAsync(api, orgId)); // nothing was refunded
        await refund.GetByLabel("Reason").FillAsync("Bought twice by mistake");
        await refund.GetByRole(AriaRole.Button, new() { Name = "Refund", Exact = true }).ClickAsync();
        await Expect(refund).ToBeHiddenAsync();

        var rows = await ListAsync(api, orgId);
        var made = rows.Single(r => r.GetProperty("type").GetString() == "refund");
        Assert.Equal("completed", made.GetProperty("status").GetString());
        Assert.Equal(10m, decimal.Parse(made.GetProperty("amount").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        await Expect(credits).ToContainTextAsync(DashboardBrowser.Term("Balance", "$30.00"));
        await DownloadMatchesApiAsync(page, api, $"Credit note {made.GetProperty("documentNumber").GetString()}",
            $"orgs/{orgId}/transactions/{made.GetProperty("id").GetString()}/invoice");

        // :: Choosing a type filters at once: only refunds are left.
        await page.GetByLabel("Type").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Refund", Exact = true }).ClickAsync();
        var table = page.GetByRole(AriaRole.Region, new() { Name = "Transactions" });
        await Expect(table.GetByRole(AriaRole.Button, new() { Name = $"Invoice {invoiceNumber}" })).ToHaveCountAsync(0);
        await Expect(table.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Credit note ") })).ToHaveCountAsync(1);
    }

    private static async Task DownloadMatchesApiAsync(IPage page, HttpClient api, string button, string apiPath)
    {
        var download = await page.RunAndWaitForDownloadAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync(),
            new PageRunAndWaitForDownloadOptions { Timeout = DashboardBrowser.StepTimeoutMs });
        var saved = await download.PathAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var fromPage = await File.ReadAllBytesAsync(saved);

        using var cts = new CancellationTokenSource(AccountSetup.CallTimeout);
        using var response = await api.GetAsync(apiPath, cts.Token);
        Assert.True(response.IsSuccessStatusCode, $"GET {apiPath}: {(int)response.StatusCode}");
        var fromApi = await response.Content.ReadAsByteArrayAsync(cts.Token);
        Assert.StartsWith("%PDF-", Encoding.ASCII.GetString(fromPage, 0, 5));
        Assert.Equal(fromApi, fromPage);
        Assert.Equal(response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), download.SuggestedFilename);
    }

    private static async Task<List<JsonElement>> ListAsync(HttpClient api, string orgId)
    {
        using var cts = new CancellationTokenSource(AccountSetup.CallTimeout);
        var page = await api.GetFromJsonAsync<JsonElement>($"orgs/{orgId}/transactions", cts.Token);
        return [.. page.GetProperty("data").EnumerateArray()];
    }

    /// <summary>The API's message for <paramref name="field"/> when the same invalid body is sent to it.</summary>
    private static async Task<string> FieldErrorAsync(HttpClient api, string path, string body, string field)
    {
        using var cts = new CancellationTokenSource(AccountSetup.CallTimeout);
        using var response = await api.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), cts.Token);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cts.Token);
        return problem.GetProperty("errors").GetProperty(field)[0].GetString()!;
    }
}
