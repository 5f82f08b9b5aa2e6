using Microsoft.Playwright;
using Tollgate.Tests.Dashboard;

namespace Tollgate.Tests.Operations;

/// <summary>The API reference page renders the server's own document with nothing fetched from elsewhere.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class ApiDocsBrowserTests(DashboardBrowser browser)
{
    [Fact]
    public async Task Docs_RendersTheOpenApiDocument_FromThisServerOnly()
    {
        await using var context = await browser.NewContextAsync();
        var requested = new List<string>();
        // Anything not on this server is refused, so a page that needs a CDN would not render.
        await context.RouteAsync("**/*", async route =>
        {
            requested.Add(route.Request.Url);
            if (route.Request.Url.StartsWith(browser.BaseUrl, StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                await route.AbortAsync();
            }
        });
        var page = await context.NewPageAsync();

        await page.GotoAsync(browser.BaseUrl + "/docs/");

        await Assertions.Expect(page.GetByText("Readiness: 200 when the database answers").First).ToBeVisibleAsync(new() { Timeout = DashboardBrowser.StepTimeoutMs });
        Assert.Contains(requested, u => u.EndsWith("/openapi.json", StringComparison.Ordinal));
        Assert.All(requested, u => Assert.StartsWith(browser.BaseUrl, u, StringComparison.Ordinal));
    }
}
