using System.Net.Http.Json;
using System.Text.Json;

namespace Tollgate.Tests.Infrastructure;

/// <summary>
/// Creates accounts through the real management API, for tests that need a signed-in user, an
/// org or a working API key. Every call has a timeout; every call makes new data (fresh emails),
/// so tests never share rows.
/// </summary>
public static class AccountSetup
{
    /// <summary>The password of users made here.</summary>
    public const string Password = "correct horse battery staple";

    /// <summary>Upper bound for one setup call.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A fresh, unused email address.</summary>
    public static string NewEmail() => $"user-{Guid.NewGuid():N}@example.test";

    /// <summary>Signs up a new user and logs in; returns the session token and the user's id.</summary>
    public static async Task<(string Token, string UserId)> SignUpAndLogInAsync(TollgateServer server, string? email = null, string name = "Test User")
    {
        email ??= NewEmail();
        await SendAsync(server.Client, HttpMethod.Post, "auth/signup", new { email, password = Password, name });
        var login = await SendAsync(server.Client, HttpMethod.Post, "auth/login", new { email, password = Password });
        return (login.GetProperty("token").GetString()!, login.GetProperty("user").GetProperty("id").GetString()!);
    }

    /// <summary>
    /// A new user who owns a new org with one project and one active API key. Returns the user's
    /// session token, the ids, and the key's secret (usable on the gateway).
    /// </summary>
    public static async Task<(string Token, string OrgId, string ProjectId, string KeyId, string Key)> CreateOrgWithKeyAsync(TollgateServer server)
    {
        var (token, _) = await SignUpAndLogInAsync(server);
        using var client = server.CreateClient(token);
        var org = await SendAsync(client, HttpMethod.Post, "orgs", new { name = "Test Org" });
        var orgId = org.GetProperty("id").GetString()!;
        var project = await SendAsync(client, HttpMethod.Post, $"orgs/{orgId}/projects", new { name = "Test Project" });
        var projectId = project.GetProperty("id").GetString()!;
        var key = await SendAsync(client, HttpMethod.Post, $"orgs/{orgId}/keys", new { projectId, name = "Test Key" });
        return (token, orgId, projectId, key.GetProperty("id").GetString()!, key.GetProperty("key").GetString()!);
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, object body)
    {
        using var cts = new CancellationTokenSource(CallTimeout);
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        using var response = await client.SendAsync(request, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
