using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Hosting;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Operations;

/// <summary>
/// A database made by an earlier release (its migrations only, its rows written with its columns) is
/// migrated forward when a new server starts on it, and everything in it still reads the same.
/// </summary>
public sealed class UpgradeTests
{
    /// <summary>The earlier release's last migration: the analytics release.</summary>
    private const int EarlierVersion = 8;

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task EarlierReleaseDatabase_MigratesForwardAtStart_AndKeepsItsData(DbDialect dialect)
    {
        var ct = TestContext.Current.CancellationToken;
        var connectionString = await TestDatabases.NewConnectionStringAsync(dialect);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = TimeProvider.System;
        var (userId, orgId, memberId, projectId, keyId) = (Ids.New("usr", clock), Ids.New("org", clock), Ids.New("mem", clock), Ids.New("prj", clock), Ids.New("key", clock));
        var session = Secrets.NewSessionToken();
        const long costPico = 1_234_567_890;

        await using (var db = new Database(dialect, connectionString))
        await using (var connection = await db.OpenAsync(ct))
        {
            // :: The earlier release's schema: its migration files, applied as its runner did.
            await connection.ExecuteAsync("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
            foreach (var (version, name, sql) in MigrationRunner.Load(dialect).Where(m => m.Version <= EarlierVersion))
            {
                await connection.ExecuteAsync(sql);
                await connection.ExecuteAsync("INSERT INTO schema_version (version, name, applied_at) VALUES (@version, @name, @now)", new { version, name, now });
            }

            // :: Its rows: a user signed in, an org with a project and a key, and one charged request.
            var p = new { userId, orgId, memberId, projectId, keyId, now, session = Secrets.Hash(session), keyHash = Secrets.Hash("tg-earlier-" + keyId), costPico, expires = now + 86_400_000 };
            await connection.ExecuteAsync("INSERT INTO users (id, email, name, password_hash, created_at) VALUES (@userId, 'earlier@example.test', 'Earlier', 'pbkdf2$unused', @now)", p);
            await connection.ExecuteAsync("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (@session, @userId, @now, @expires)", p);
            await connection.ExecuteAsync("INSERT INTO orgs (id, name, plan, billing_mode, created_at) VALUES (@orgId, 'Earlier Org', 'enterprise', 'byok', @now)", p);
            await connection.ExecuteAsync("INSERT INTO members (id, org_id, user_id, role, created_at, role_since) VALUES (@memberId, @orgId, @userId, 'owner', @now, @now)", p);
            await connection.ExecuteAsync("INSERT INTO projects (id, org_id, name, created_at) VALUES (@projectId, @orgId, 'Earlier project', @now)", p);
            await connection.ExecuteAsync("""
                INSERT INTO api_keys (id, org_id, project_id, member_id, name, prefix, key_hash, status, created_at, updated_at)
                VALUES (@keyId, @orgId, @projectId, @memberId, 'earlier key', 'tg-earl', @keyHash, 'active', @now, @now)
                """, p);
            await connection.ExecuteAsync("""
                INSERT INTO ledger (id, request_id, attempt, org_id, project_id, member_id, key_id, service, endpoint, model, provider,
                    provider_model, status, http_status, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
                    reasoning_tokens, cost_pico, usage_estimated, streamed, cancelled, latency_ms, started_at, ended_at)
                VALUES ('led_earlier', 'req_earlier', 1, @orgId, @projectId, @memberId, @keyId, 'llm', 'chat.completions', 'gpt-5-mini', 'openai',
                    'gpt-5-mini', 'ok', 200, 100, 0, 0, 50, 0, @costPico, false, false, false, 120, @now, @now)
                """, p);
        }

        // :: A server of this release starts on it.
        await using var server = await TollgateServer.StartAsync(dialect, connectionString: connectionString);
        using var client = server.CreateClient(session);

        var ready = await server.Client.GetAsync("health/ready", ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
        var project = await client.GetFromJsonAsync<JsonElement>($"orgs/{orgId}/projects/{projectId}", ct);
        Assert.Equal("Earlier project", project.GetProperty("name").GetString());
        Assert.Equal("price", project.GetProperty("routing").GetString()); // a column added after that release, with its default
        var key = await client.GetFromJsonAsync<JsonElement>($"orgs/{orgId}/keys/{keyId}", ct);
        Assert.Equal("earlier key", key.GetProperty("name").GetString());
        var budget = await client.GetFromJsonAsync<JsonElement>($"orgs/{orgId}/members/{memberId}/budget", ct);
        Assert.Equal(Money.ToWire(costPico), budget.GetProperty("usage").GetProperty("spend").GetProperty("used").GetString());

        await using var check = new Database(dialect, connectionString);
        await using var after = await check.OpenAsync(ct);
        Assert.Equal(MigrationRunner.Load(dialect).Max(m => m.Version), await after.ExecuteScalarAsync<long>("SELECT MAX(version) FROM schema_version"));
        Assert.Equal("server", await after.ExecuteScalarAsync<string>("SELECT credential FROM ledger WHERE id = 'led_earlier'"));
    }
}
