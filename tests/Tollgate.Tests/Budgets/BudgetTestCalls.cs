using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Data.Common;
using System.Text.Json;
using Dapper;
using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Budgets;

/// <summary>Management and gateway calls the budget tests share.</summary>
internal static class BudgetTestCalls
{
    /// <summary>Registers a node whose heartbeat stopped a minute ago (<c>node_dead</c>) and a live one (<c>node_live</c>); returns now, in ms.</summary>
    public static async Task<long> AddDeadAndLiveNodesAsync(DbConnection connection)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await connection.ExecuteAsync(
            "INSERT INTO nodes (node_id, started_at, heartbeat_at) VALUES ('node_dead', @old, @old), ('node_live', @now, @now)",
            new { old = now - 60_000, now });
        return now;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return doc.RootElement.Clone();
    }

    public static async Task<string> MemberIdAsync(GatewayTestHost host)
    {
        using var client = host.Server.CreateClient(host.Token);
        var me = await JsonAsync(await client.GetAsync("me"));
        return me.GetProperty("memberships")[0].GetProperty("memberId").GetString()!;
    }

    public static async Task<HttpResponseMessage> PutAsync(GatewayTestHost host, string path, string json, string? token = null)
    {
        using var client = host.Server.CreateClient(token ?? host.Token);
        return await client.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
    }

    public static async Task PutOkAsync(GatewayTestHost host, string path, string json, string? token = null)
    {
        var response = await PutAsync(host, path, json, token);
        Assert.True(response.IsSuccessStatusCode, $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<JsonElement> GetAsync(GatewayTestHost host, string path, string? token = null)
    {
        using var client = host.Server.CreateClient(token ?? host.Token);
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await JsonAsync(response);
    }

    /// <summary>A chat request with the given key; returns the response.</summary>
    public static async Task<HttpResponseMessage> ChatAsync(GatewayTestHost host, string? key = null, int? maxTokens = 5, string text = "budget test")
    {
        using var client = host.Server.CreateClient(key ?? host.Key);
        return await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", text, maxTokens: maxTokens));
    }

    public static async Task<string> CreateKeyAsync(GatewayTestHost host, string name, string? token = null, string? projectId = null)
    {
        using var client = host.Server.CreateClient(token ?? host.Token);
        var response = await client.PostAsJsonAsync($"orgs/{host.OrgId}/keys", new { projectId = projectId ?? host.ProjectId, name });
        var json = await JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json.GetProperty("key").GetString()!;
    }

    /// <summary>Invites a new user to the host's org as a developer of the host's project; they sign up and accept.</summary>
    public static async Task<(string Token, string MemberId)> AddDeveloperAsync(GatewayTestHost host)
    {
        var email = AccountSetup.NewEmail();
        using var owner = host.Server.CreateClient(host.Token);
        var invite = await owner.PostAsJsonAsync($"orgs/{host.OrgId}/invites", new { email, role = "developer", projectIds = new[] { host.ProjectId } });
        var inviteJson = await JsonAsync(invite);
        Assert.True(invite.IsSuccessStatusCode, inviteJson.ToString());
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(host.Server, email);
        using var developer = host.Server.CreateClient(token);
        var accepted = await developer.PostAsync($"invites/{inviteJson.GetProperty("token").GetString()}/accept", null);
        var acceptedJson = await JsonAsync(accepted);
        Assert.True(accepted.IsSuccessStatusCode, acceptedJson.ToString());
        var me = await JsonAsync(await developer.GetAsync("me"));
        foreach (var membership in me.GetProperty("memberships").EnumerateArray())
        {
            if (membership.GetProperty("orgId").GetString() == host.OrgId)
            {
                return (token, membership.GetProperty("memberId").GetString()!);
            }
        }

        throw new InvalidOperationException("The invite did not make a membership.");
    }

    public static async Task<long> LedgerSumAsync(GatewayTestHost host) => (await host.LedgerAsync()).Sum(r => r.CostPico);

    public static async Task AssertDeniedAsync(HttpResponseMessage response, string code, string message)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(message, error.GetProperty("message").GetString());
        Assert.Equal("budget_exceeded", error.GetProperty("type").GetString());
    }

    public static string Usd(long pico) => BudgetMessages.Usd(pico);
}
