using System.Text.Json;
using Microsoft.Playwright;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Dashboard;

/// <summary>
/// One real server (with the fake OpenAI provider behind it) and one Debian Chromium driven by
/// Playwright, shared by the dashboard's browser tests; each test opens its own browser contexts
/// (fresh cookies, its own time zone and viewport) and makes its own users and orgs.
/// </summary>
public sealed class DashboardBrowser : IAsyncLifetime
{
    /// <summary>Upper bound for one browser step.</summary>
    public const float StepTimeoutMs = 20_000;

    private IPlaywright? _playwright;

    /// <summary>The server and fake provider.</summary>
    public GatewayTestHost Host { get; private set; } = default!;

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; private set; } = default!;

    /// <summary><c>http://127.0.0.1:port</c> without a trailing slash.</summary>
    public string BaseUrl => Host.Server.BaseAddress.ToString().TrimEnd('/');

    /// <summary>Where screenshots go: the test output folder.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "dashboard-screenshots");

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        // Users sign up through pages here; a cheap password hash keeps that fast on a busy machine.
        Host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Auth:PasswordIterations"] = "1000" })
            .WaitAsync(TimeSpan.FromSeconds(60));
        _playwright = await Microsoft.Playwright.Playwright.CreateAsync().WaitAsync(TimeSpan.FromSeconds(60));
        // Playwright starts Chromium with a fresh temporary --user-data-dir of its own (and refuses one in Args).
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Timeout = 60_000,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run",
            ],
        }).WaitAsync(TimeSpan.FromSeconds(90));
        Directory.CreateDirectory(ScreenshotFolder);
    }

    /// <summary>A fresh browser context (no cookies) in <paramref name="timeZone"/> at <paramref name="width"/> px.</summary>
    public async Task<IBrowserContext> NewContextAsync(string timeZone = "Europe/Paris", int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            TimezoneId = timeZone,
            Locale = "en-US",
            ViewportSize = new ViewportSize { Width = width, Height = height },
            BaseURL = BaseUrl,
        });
        context.SetDefaultTimeout(StepTimeoutMs);
        Microsoft.Playwright.Assertions.SetDefaultExpectTimeout(StepTimeoutMs); // assertions wait as long as steps: a loaded CI machine repaints slowly
        context.SetDefaultNavigationTimeout(StepTimeoutMs);
        return context;
    }

    /// <summary>A context signed in with an API session token (the dashboard's session is the API's).</summary>
    public async Task<IBrowserContext> SignedInContextAsync(string sessionToken, string timeZone = "Europe/Paris", int width = 1280)
    {
        var context = await NewContextAsync(timeZone, width);
        await context.AddCookiesAsync([new Cookie { Name = "tollgate_session", Value = sessionToken, Url = BaseUrl, HttpOnly = true, SameSite = SameSiteAttribute.Lax }]);
        return context;
    }

    /// <summary>The session cookie a browser context holds (to ask the API the same question the page answered).</summary>
    public static async Task<string> SessionTokenAsync(IBrowserContext context) =>
        (await context.CookiesAsync()).Single(c => c.Name == "tollgate_session").Value;

    /// <summary>Signs in through the sign-in page.</summary>
    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Waits for the page's main heading (the interactive page has rendered).</summary>
    public static Task HeadingAsync(IPage page, string name) =>
        Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = name, Level = 1, Exact = true })).ToBeVisibleAsync();

    /// <summary>
    /// Waits until an open dialog holds the keyboard focus. A dialog is drawn before its scripts run: its
    /// focus trap and its Escape handler are attached after the first render (the dialog container subscribes to keys before its focus trap moves the focus), so a
    /// key pressed while the dialog is merely visible can reach the page behind it. A keyboard user sees the
    /// focus move into the dialog; that is the state to wait for before pressing Escape or typing.
    /// </summary>
    public static Task DialogReadyAsync(IPage page) =>
        page.WaitForFunctionAsync(
            "() => { const a = document.activeElement; return a !== null && a.closest('[role=dialog], .mud-dialog') !== null; }",
            null, new PageWaitForFunctionOptions { Timeout = StepTimeoutMs, PollingInterval = 50 });

    /// <summary>A term and its value as the page shows them (a definition list), whatever the white space between.</summary>
    public static System.Text.RegularExpressions.Regex Term(string term, string value) =>
        new(System.Text.RegularExpressions.Regex.Escape(term) + @"\s*" + System.Text.RegularExpressions.Regex.Escape(value) + @"(?![\d.])");

    /// <summary>How far the page scrolls sideways (0: not at all).</summary>
    public static async Task<int> SidewaysOverflowAsync(IPage page) =>
        await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");

    /// <summary>axe-core's critical and serious violations on the page, as "id: targets" lines.</summary>
    public static async Task<IReadOnlyList<string>> SeriousAxeViolationsAsync(IPage page)
    {
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = AxePath() });
        var violations = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const r = await axe.run(document, { resultTypes: ['violations'] });
              return r.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
                .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(' | '));
            }
            """);
        return [.. violations.EnumerateArray().Select(v => v.GetString()!)];
    }

    /// <summary>axe.min.js: <c>TOLLGATE_AXE_PATH</c> (set by scripts/test.sh), else <c>.ci/node</c> above the test output.</summary>
    public static string AxePath()
    {
        var configured = Environment.GetEnvironmentVariable("TOLLGATE_AXE_PATH");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ".ci", "node", "node_modules", "axe-core", "axe.min.js");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("axe-core is not installed: run scripts/test.sh (it installs npm axe-core 4.14.1 into .ci/node).");
    }

    /// <summary>Saves a full-page screenshot to the test output folder.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>The email of the user a session belongs to.</summary>
    public async Task<string> EmailOfAsync(string sessionToken)
    {
        using var client = Host.Server.CreateClient(sessionToken);
        var me = JsonDocument.Parse(await client.GetStringAsync("me")).RootElement;
        return me.GetProperty("user").GetProperty("email").GetString()!;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        _playwright?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

    }
}

/// <summary>The dashboard's browser tests share one server and one browser, and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class DashboardBrowserCollection : ICollectionFixture<DashboardBrowser>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Dashboard browser";
}
