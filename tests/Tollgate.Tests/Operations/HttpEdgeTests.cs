using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Operations;

/// <summary>
/// What sits between the server and the internet: CORS for browser apps on <c>/v1</c>
/// (<c>Tollgate:Http:CorsOrigins</c>), and forwarded headers from <c>Tollgate:Http:KnownProxies</c> only.
/// </summary>
public sealed class HttpEdgeTests
{
    private const string App = "https://app.example.test";

    [Fact]
    public async Task Cors_ListedOrigin_GetsPreflightAndExposedHeaders_OtherOriginAndManagementApiDoNot()
    {
        await using var server = await TollgateServer.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Http:CorsOrigins"] = $"{App}, https://other-app.example.test" });

        using var allowed = await PreflightAsync(server, App, "/v1/chat/completions");
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal(App, Header(allowed, "Access-Control-Allow-Origin"));
        Assert.Contains("POST", Header(allowed, "Access-Control-Allow-Methods"), StringComparison.Ordinal);
        Assert.Contains("authorization", Header(allowed, "Access-Control-Allow-Headers")!, StringComparison.OrdinalIgnoreCase);

        using var stranger = await PreflightAsync(server, "https://evil.example.test", "/v1/chat/completions");
        Assert.Null(Header(stranger, "Access-Control-Allow-Origin"));

        using var management = await PreflightAsync(server, App, "/orgs");
        Assert.Null(Header(management, "Access-Control-Allow-Origin"));

        // The actual call: the app may read the request id of an answer (here a 401, no key).
        using var call = new HttpRequestMessage(HttpMethod.Get, "v1/models") { Headers = { { "Origin", App } } };
        using var answer = await server.Client.SendAsync(call, TestContext.Current.CancellationToken);
        Assert.Equal(App, Header(answer, "Access-Control-Allow-Origin"));
        Assert.Contains("x-tollgate-request-id", Header(answer, "Access-Control-Expose-Headers")!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Cors_OffByDefault()
    {
        await using var server = await TollgateServer.StartAsync();

        using var preflight = await PreflightAsync(server, App, "/v1/chat/completions");

        Assert.Null(Header(preflight, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("127.0.0.1", "203.0.113.7", true)] // the test connects from 127.0.0.1: a known proxy
    [InlineData("10.20.30.40", "127.0.0.1", false)] // another proxy is known: the headers are ignored
    [InlineData(null, "127.0.0.1", false)] // none known: the connection is taken as it is
    public async Task ForwardedHeaders_OnlyFromKnownProxy_SetAuditIpAndSecureCookie(string? knownProxies, string expectedIp, bool secure)
    {
        await using var server = await TollgateServer.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Http:KnownProxies"] = knownProxies });
        var ct = TestContext.Current.CancellationToken;
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        var email = AccountSetup.NewEmail();
        (await client.PostAsJsonAsync("auth/signup", new { email, password = "forwarded-password", name = "Fwd" }, ct)).EnsureSuccessStatusCode();

        using var login = await client.PostAsJsonAsync("auth/login", new { email, password = "forwarded-password" }, ct);
        login.EnsureSuccessStatusCode();
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Equal(secure, cookie.Contains("secure", StringComparison.OrdinalIgnoreCase));

        var token = (await login.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("token").GetString()!;
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var org = await (await client.PostAsJsonAsync("orgs", new { name = "Forwarded" }, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        var orgId = org.GetProperty("id").GetString();
        using var log = JsonDocument.Parse(await client.GetStringAsync($"orgs/{orgId}/audit-logs", ct));
        var entries = log.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.NotEmpty(entries);
        Assert.All(entries, e => Assert.Equal(expectedIp, e.GetProperty("ip").GetString()));
    }

    private static async Task<HttpResponseMessage> PreflightAsync(TollgateServer server, string origin, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path.TrimStart('/'));
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,x-stainless-lang");
        return await server.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
