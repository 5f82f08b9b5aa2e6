using Microsoft.Playwright;

namespace Tollgate.Bench;

/// <summary>Debian's headless Chromium, and browser contexts signed in to the dashboard, for the benches that open pages.</summary>
internal static class BenchBrowser
{
    /// <summary>Where Debian puts Chromium.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Starts headless Chromium (no sandbox, GPU or background traffic).</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 60_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });

    /// <summary>A 1280 × 900 context on <paramref name="baseUrl"/> holding the session cookie of <paramref name="sessionToken"/>.</summary>
    public static async Task<IBrowserContext> SignedInContextAsync(IBrowser browser, string baseUrl, string sessionToken, string? timeZone = null)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl, TimezoneId = timeZone, ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(120_000);
        await context.AddCookiesAsync([new Cookie { Name = "tollgate_session", Value = sessionToken, Url = baseUrl, HttpOnly = true, SameSite = SameSiteAttribute.Lax }]);
        return context;
    }
}
