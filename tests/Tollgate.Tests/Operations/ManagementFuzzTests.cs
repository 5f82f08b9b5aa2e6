using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Routing;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Operations;

/// <summary>
/// Random and mutated bodies against every route that takes a JSON body (found from the app's own
/// route table, so a new route is fuzzed without touching this test): never a 500, never a change to
/// another org's rows, never a charge. The seed is printed on failure so a run can be repeated.
/// </summary>
public sealed class ManagementFuzzTests
{
    private const int BodiesPerRoute = 10;

    // Field names the API reads, so random objects reach past the first "is required" check.
    private static readonly string[] FieldNames =
    [
        "name", "email", "password", "currentPassword", "role", "spend", "period", "type", "limit", "window", "rolling", "projectId",
        "memberId", "status", "expiresAt", "budget", "budgetType", "usageLimit", "periodUsageLimit", "periodWindow", "model", "messages",
        "max_tokens", "stream", "input", "service", "cost", "estimatedCost", "idempotencyKey", "description", "amount", "timeZone", "plan",
        "defaultDeveloperLimits", "keys", "token", "reason", "currency", "threshold", "percent", "channel", "url", "maxActiveKeys",
    ];

    private static readonly object?[] Scalars =
    [
        null, true, false, 0, -1, 1, long.MaxValue, long.MinValue, 1e308, -0.0, 0.5, "", " ", "x", "0", "-5", "1e400", "NaN", "unlimited", "fixed",
        "monthly", "day", "admin", "owner", "member", "billing", "disabled", "active", new string('a', 5000), "\u0000", "💸", "%", "_",
        "'; DROP TABLE ledger; --", "../../etc/passwd", "key_00000000000000000000000000",
    ];

    [Fact]
    public async Task EveryJsonRoute_RandomAndMutatedBodies_No500_NoOtherOrgChange_NoCharge()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var other = await AccountSetup.CreateOrgWithKeyAsync(host.Server);
        using var session = host.Server.CreateClient(host.Token);
        var masterKey = (await RawCalls.SendAsync(session, HttpMethod.Post, $"orgs/{host.OrgId}/master-keys", """{"name":"fuzz"}""")).Json.GetProperty("key").GetString()!;
        using var master = host.Server.CreateClient(masterKey);
        using var gateway = host.GatewayClient();
        var ownMember = (await RawCalls.SendAsync(session, HttpMethod.Get, $"orgs/{host.OrgId}/members/me", (byte[]?)null)).Json.GetProperty("memberId").GetString()!;
        using var otherSession = host.Server.CreateClient(other.Token);
        var otherMember = (await RawCalls.SendAsync(otherSession, HttpMethod.Get, $"orgs/{other.OrgId}/members/me", (byte[]?)null)).Json.GetProperty("memberId").GetString()!;
        var ownIds = new Dictionary<string, string> { ["orgId"] = host.OrgId, ["projectId"] = host.ProjectId, ["keyId"] = host.KeyId, ["memberId"] = ownMember };
        var otherIds = new Dictionary<string, string> { ["orgId"] = other.OrgId, ["projectId"] = other.ProjectId, ["keyId"] = other.KeyId, ["memberId"] = otherMember };
        var routes = JsonRoutes(host.Server);
        var before = await OrgRowsAsync(host.Server, other.OrgId);
        Assert.True(routes.Count >= 10, $"only {routes.Count} routes found: {string.Join(", ", routes)}");

        var failures = new List<string>();
        var sent = 0;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        foreach (var (method, pattern) in routes)
        {
            var client = pattern.StartsWith("/v1/master", StringComparison.Ordinal) ? master : pattern.StartsWith("/v1/", StringComparison.Ordinal) ? gateway : session;
            for (var i = 0; i < BodiesPerRoute && DateTime.UtcNow < deadline; i++)
            {
                var path = Fill(pattern, i % 2 == 0 ? ownIds : otherIds, random);
                var (body, contentType) = Body(random, i);
                var answer = await RawCalls.SendAsync(client, method, path, body, contentType);
                sent++;
                if ((int)answer.Status >= 500)
                {
                    failures.Add($"{method} {path} {contentType} [{Preview(body)}] → {(int)answer.Status} {answer.Text}");
                }
            }
        }

        var after = await OrgRowsAsync(host.Server, other.OrgId);
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        var charges = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM ledger");

        Assert.True(failures.Count == 0, $"seed {seed}, {sent} requests, {failures.Count} server errors:\n{string.Join("\n", failures.Take(20))}");
        Assert.Equal(before, after);
        Assert.Equal(0, charges);
        Assert.True(sent >= routes.Count, $"seed {seed}: only {sent} requests in the time allowed");
    }

    /// <summary>POST, PUT and PATCH routes of the API (not the dashboard's pages and forms, not sign-out).</summary>
    private static List<(HttpMethod Method, string Pattern)> JsonRoutes(TollgateServer server) =>
        ((IEndpointRouteBuilder)server.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.StartsWith("/orgs", StringComparison.Ordinal) || raw.StartsWith("/v1", StringComparison.Ordinal)
                || raw.StartsWith("/auth", StringComparison.Ordinal) || raw.StartsWith("/me", StringComparison.Ordinal)
                || raw.StartsWith("/invites", StringComparison.Ordinal) || raw.StartsWith("/billing", StringComparison.Ordinal))
                && !raw.Contains("logout", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [])
                .Where(m => m is "POST" or "PUT" or "PATCH")
                .Select(m => (new HttpMethod(m), e.RoutePattern.RawText!)))
            .Distinct().OrderBy(r => r.Item2, StringComparer.Ordinal).ToList();

    private static string Fill(string pattern, Dictionary<string, string> ids, Random random)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(pattern, @"\{(\w+)[^}]*\}",
            m => ids.TryGetValue(m.Groups[1].Value, out var id) ? id : $"x_{random.Next():x}");
        return path.TrimStart('/');
    }

    private static (byte[] Body, string? ContentType) Body(Random random, int i) => (i % 10) switch
    {
        0 => (Encoding.UTF8.GetBytes(JsonSerializer.Serialize(RandomObject(random, 0))), "application/json"),
        1 => (Encoding.UTF8.GetBytes(JsonSerializer.Serialize(RandomValue(random, 0))), "application/json"),
        2 => (Mutate(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(RandomObject(random, 0))), random), "application/json"),
        3 => (RandomBytes(random), "application/json"),
        4 => ([0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0x22, 0x7D], "application/json"),
        5 => ("""{"name":"\ud800","email":"\udfff@x.y"}"""u8.ToArray(), "application/json"),
        6 => (Encoding.UTF8.GetBytes(JsonSerializer.Serialize(RandomObject(random, 0))), "text/plain"),
        7 => ([], "application/json"),
        8 => (Encoding.UTF8.GetBytes(new string('[', 5000)), "application/json"),
        _ => (Mutate(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(RandomObject(random, 0))), random), random.Next(2) == 0 ? "application/json; charset=utf-16" : null),
    };

    private static Dictionary<string, object?> RandomObject(Random random, int depth)
    {
        var result = new Dictionary<string, object?>();
        var count = random.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            result[FieldNames[random.Next(FieldNames.Length)]] = RandomValue(random, depth + 1);
        }

        return result;
    }

    private static object? RandomValue(Random random, int depth) => (depth < 3 ? random.Next(10) : random.Next(7)) switch
    {
        < 7 => Scalars[random.Next(Scalars.Length)],
        7 or 8 => RandomObject(random, depth),
        _ => Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, depth + 1)).ToArray(),
    };

    private static byte[] Mutate(byte[] bytes, Random random)
    {
        var copy = bytes.ToList();
        for (var n = random.Next(1, 4); n > 0 && copy.Count > 0; n--)
        {
            var at = random.Next(copy.Count);
            switch (random.Next(3))
            {
                case 0: copy.RemoveRange(at, copy.Count - at); break;
                case 1: copy[at] = (byte)random.Next(256); break;
                default: copy.Insert(at, (byte)"{}[]\",:\\"[random.Next(8)]); break;
            }
        }

        return [.. copy];
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 64)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Preview(byte[] body) => Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 200)));

    /// <summary>Every row of every table with an <c>org_id</c> column that belongs to <paramref name="orgId"/>, as text.</summary>
    private static async Task<string> OrgRowsAsync(TollgateServer server, string orgId)
    {
        await using var connection = await server.App.Services.GetRequiredService<Database>().OpenAsync();
        var tables = await connection.QueryAsync<string>(
            "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'org_id' ORDER BY m.name");
        var text = new StringBuilder();
        foreach (var table in tables)
        {
            foreach (IDictionary<string, object?> row in await connection.QueryAsync($"SELECT * FROM \"{table}\" WHERE org_id = @orgId ORDER BY 1", new { orgId }))
            {
                text.Append(table).Append(':').AppendJoin('|', row.Select(c => $"{c.Key}={c.Value}")).Append('\n');
            }
        }

        var orgRow = await connection.QueryAsync($"SELECT * FROM orgs WHERE id = @orgId", new { orgId });
        text.AppendJoin('\n', orgRow.Select(r => string.Join('|', ((IDictionary<string, object?>)r).Values)));
        return text.ToString();
    }
}
