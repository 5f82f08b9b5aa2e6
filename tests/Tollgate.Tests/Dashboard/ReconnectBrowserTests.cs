using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using static Microsoft.Playwright.Assertions;

namespace Tollgate.Tests.Dashboard;

/// <summary>
/// A page's connection lost, behind a load balancer (a TCP forwarder on 127.0.0.1 standing in for
/// it): cut briefly, the page reconnects to its circuit with its state; when the node that held the
/// circuit is gone and the balancer sends the browser to another node, the page renders again there
/// from the shared database, with the same data.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class ReconnectBrowserTests(DashboardBrowser browser)
{
    [Fact]
    public async Task LostConnection_ReconnectsToItsCircuit_AndAnotherNodeRendersThePageWhenItsNodeIsGone()
    {
        var keys = Directory.CreateTempSubdirectory("tollgate-dashboard-keys-");
        var settings = new Dictionary<string, string?>
        {
            ["Tollgate:Auth:PasswordIterations"] = "1000",
            ["Tollgate:Dashboard:KeysPath"] = keys.FullName, // both nodes read each other's form tokens
        };
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres, settings).WaitAsync(TimeSpan.FromSeconds(60));
        await using var second = await host.StartSecondNodeAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await using var balancer = Forwarder.Start(host.Server.BaseAddress);
        var baseUrl = balancer.BaseUrl;

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl, TimezoneId = "Europe/Paris", Locale = "en-US", ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        context.SetDefaultTimeout(DashboardBrowser.StepTimeoutMs);
        await context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = "tollgate_session", Value = host.Token, Url = baseUrl, HttpOnly = true, SameSite = SameSiteAttribute.Lax }]);
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/dashboard/orgs/{host.OrgId}/team");
        await DashboardBrowser.HeadingAsync(page, "Team");
        var members = page.GetByRole(AriaRole.Region, new() { Name = "Members" });
        await Expect(members).ToContainTextAsync("Test User");

        // The page's own state: the Requests tab chosen.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Requests" }).ClickAsync();
        await Expect(page.GetByText("sorted by requests")).ToBeVisibleAsync();

        // A brief cut: the page reconnects to the same circuit on the same node, its state intact
        // (no reload: a mark left in the window survives), and it still acts (a tab click is handled).
        await page.EvaluateAsync("() => { window.tollgateMark = 1; }");
        var connectionsBefore = balancer.Accepted;
        balancer.CutAll();
        await WaitAsync(() => balancer.Accepted > connectionsBefore, "the page to reconnect");
        await Expect(page.GetByText("sorted by requests")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Tab, new() { Name = "Tokens" }).ClickAsync();
        await Expect(page.GetByText("sorted by tokens")).ToBeVisibleAsync();
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.tollgateMark ?? 0"));

        // The node is gone: the balancer sends the browser to the other node, which never had the
        // circuit; the page is rendered again there, from the database, with the same members.
        balancer.Target = second.BaseAddress;
        balancer.CutAll();
        await ReloadedAsync(page);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Team", Level = 1, Exact = true })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        Assert.True(balancer.AcceptedFor(second.BaseAddress) > 0);
        await Expect(members).ToContainTextAsync("Test User", new() { Timeout = 60_000 });
        await page.GetByRole(AriaRole.Tab, new() { Name = "Requests" }).ClickAsync();
        await Expect(page.GetByText("sorted by requests")).ToBeVisibleAsync();
        keys.Delete(recursive: true);
    }

    // The page was loaded again: the mark left in the old window is gone (a read that meets the
    // navigation itself fails and is tried again).
    private static async Task ReloadedAsync(IPage page)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if (await page.EvaluateAsync<int>("() => window.tollgateMark ?? 0") == 0)
                {
                    return;
                }
            }
            catch (PlaywrightException)
            {
                // the old document went away under the read
            }

            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the page to load again on the other node");
            await Task.Delay(100);
        }
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>A TCP forwarder on 127.0.0.1 to a node that can be changed; cuts every open connection on demand.</summary>
    private sealed class Forwarder : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<TcpClient> _open = [];
        private readonly Dictionary<string, int> _acceptedFor = [];
        private Task _accepting = Task.CompletedTask;
        private int _accepted;

        public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public Uri Target { get; set; } = default!;

        public int Accepted => Volatile.Read(ref _accepted);

        public int AcceptedFor(Uri node)
        {
            lock (_open)
            {
                return _acceptedFor.GetValueOrDefault(node.Authority);
            }
        }

        public static Forwarder Start(Uri target)
        {
            var forwarder = new Forwarder { Target = target };
            forwarder._listener.Start();
            forwarder._accepting = forwarder.AcceptAsync();
            return forwarder;
        }

        public void CutAll()
        {
            lock (_open)
            {
                foreach (var client in _open)
                {
                    if (client.Client is { } socket)
                    {
                        socket.LingerState = new LingerOption(true, 0); // a reset, as a dead node's connections end
                    }

                    client.Dispose();
                }

                _open.Clear();
            }
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient inbound;
                try
                {
                    inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var target = Target;
                var outbound = new TcpClient();
                try
                {
                    await outbound.ConnectAsync(target.Host, target.Port, _stop.Token);
                }
                catch (Exception) when (!_stop.IsCancellationRequested)
                {
                    inbound.Dispose();
                    outbound.Dispose();
                    continue;
                }

                lock (_open)
                {
                    _open.Add(inbound);
                    _open.Add(outbound);
                    _acceptedFor[target.Authority] = _acceptedFor.GetValueOrDefault(target.Authority) + 1;
                }

                Interlocked.Increment(ref _accepted);
                _ = PumpAsync(inbound, outbound);
                _ = PumpAsync(outbound, inbound);
            }
        }

        private async Task PumpAsync(TcpClient from, TcpClient to)
        {
            try
            {
                await from.GetStream().CopyToAsync(to.GetStream(), _stop.Token);
            }
            catch (Exception)
            {
                // cut, or the other side went away
            }
            finally
            {
                lock (_open)
                {
                    _open.Remove(from);
                    _open.Remove(to);
                }

                from.Dispose();
                to.Dispose();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            CutAll();
            await _accepting;
            _stop.Dispose();
        }
    }
}
