using System.Net;
using System.Text.Json;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Operations;

/// <summary>
/// Every log line of a server run with real traffic, at every level: one access line per request, and
/// no API key, master key, session token, password or provider credential anywhere.
/// </summary>
public sealed class LogSecretsTests
{
    [Fact]
    public async Task ServerRun_WithRealTraffic_AccessLinesAndNoSecretInAnyLogLine()
    {
        var logs = new CapturedLogs();
        await using var host = await GatewayTestHost.StartAsync(configure: builder =>
        {
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
        });
        using var gateway = host.GatewayClient();
        using var session = host.Server.CreateClient(host.Token);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using (var ok = await gateway.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "hello"), cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var streamed = await gateway.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "hi", stream: true), cts.Token))
        {
            _ = await streamed.Content.ReadAsStringAsync(cts.Token);
        }

        using (var failover = await gateway.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fallback-model", "hi"), cts.Token))
        {
            _ = await failover.Content.ReadAsStringAsync(cts.Token);
        }

        const string WrongKey = "tg_wrong_0123456789abcdefghijklmnopqrstuv";
        using var wrong = host.Server.CreateClient(WrongKey);
        using (var unauthorized = await wrong.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "x"), cts.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        }

        var master = (await RawCalls.SendAsync(session, HttpMethod.Post, $"orgs/{host.OrgId}/master-keys", """{"name":"m"}""")).Json.GetProperty("key").GetString()!;
        using var masterClient = host.Server.CreateClient(master);
        Assert.Equal(HttpStatusCode.OK, (await RawCalls.SendAsync(masterClient, HttpMethod.Get, "v1/master/keys", (byte[]?)null)).Status);
        const string WrongPassword = "not-the-password-4711";
        var email = (await RawCalls.SendAsync(session, HttpMethod.Get, "me", (byte[]?)null)).Json.GetProperty("user").GetProperty("email").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await RawCalls.SendAsync(host.Server.Client, HttpMethod.Post, "auth/login",
            JsonSerializer.SerializeToUtf8Bytes(new { email, password = WrongPassword }))).Status);
        var relogin = await RawCalls.SendAsync(host.Server.Client, HttpMethod.Post, "auth/login", JsonSerializer.SerializeToUtf8Bytes(new { email, password = AccountSetup.Password }));
        var newToken = relogin.Json.GetProperty("token").GetString()!;
        await host.WaitForLedgerAsync(3);

        string[] secrets = [host.Key, host.Token, newToken, master, WrongKey, AccountSetup.Password, WrongPassword,
            "sk-server-openai-secret", "sk-ant-server-secret", "sk-primary", "sk-secondary"];
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!logs.Lines.Any(l => l.Category == "Tollgate.Access" && l.Text.Contains("model=fallback-model", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, cts.Token);
        }

        var lines = logs.Lines.ToArray();
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(lines, l => l.Text.Contains(secret, StringComparison.Ordinal));
        }

        var access = lines.Where(l => l.Category == "Tollgate.Access").ToList();
        Assert.All(access, l => Assert.Equal(LogLevel.Information, l.Level));
        Assert.Contains(access, l => l.Text.Contains($"key={host.KeyId}", StringComparison.Ordinal) && l.Text.Contains("model=fake-model", StringComparison.Ordinal)
            && l.Text.Contains("request=req_", StringComparison.Ordinal) && l.Text.Contains("outcome=ok", StringComparison.Ordinal));
        Assert.Contains(access, l => l.Text.Contains("/auth/login 401", StringComparison.Ordinal));
        // The framework's own per-request lines stay below Information.
        Assert.DoesNotContain(lines, l => l.Category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal) && l.Level == LogLevel.Information);
        // Every line logged during a request carries its scope (the request id).
        Assert.All(access, l => Assert.Contains("RequestId=", l.Text, StringComparison.Ordinal));
    }
}
