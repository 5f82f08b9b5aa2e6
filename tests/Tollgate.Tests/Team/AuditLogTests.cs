using System.Net;
using Dapper;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Team;

public sealed class AuditLogTests
{
    /// <summary>Each dialect with each way of tampering with the stored chain.</summary>
    public static TheoryData<DbDialect, string> Tampering
    {
        get
        {
            var data = new TheoryData<DbDialect, string>();
            foreach (var dialect in new[] { DbDialect.Sqlite, DbDialect.Postgres })
            {
                foreach (var tamper in new[] { "edited", "deleted", "deleted-last", "reordered", "rehashed" })
                {
                    data.Add(dialect, tamper);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_TamperedRow_DetectedAtThatRow(DbDialect dialect, string tamper)
    {
        // Arrange: an org with a few recorded changes, and a second org whose chain must stay valid.
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, projectId, keyId, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        var (_, otherOrg, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        await client.ApiPatchAsync($"orgs/{orgId}/projects/{projectId}", new { name = "Renamed" });
        await client.ApiPostAsync($"orgs/{orgId}/keys/{keyId}/rotate");
        await client.ApiPatchAsync($"orgs/{orgId}", new { name = "Renamed Org" });
        var intact = await client.ApiGetAsync($"orgs/{orgId}/audit-logs/verify");
        Assert.True(intact.Body.GetProperty("valid").GetBoolean(), intact.Text);
        Assert.Equal(6, intact.Body.GetProperty("checked").GetInt32()); // org, project, key create; project, key, org update
        var ids = await IdsBySeqAsync(server, orgId);

        // Act: change the database behind the server's back.
        await using (var connection = await TeamSetup.OpenDatabaseAsync(server))
        {
            var sql = tamper switch
            {
                "edited" => "UPDATE audit_log SET after_json = '{\"name\":\"Innocent\"}' WHERE id = @id3",
                "deleted" => "DELETE FROM audit_log WHERE id = @id3",
                "deleted-last" => "DELETE FROM audit_log WHERE id = @id6",
                // Two neighbours swap places in the order.
                "reordered" => "UPDATE audit_log SET seq = -1 WHERE id = @id3; UPDATE audit_log SET seq = 3 WHERE id = @id4; UPDATE audit_log SET seq = 4 WHERE id = @id3",
                // An edit that also recomputes the edited row's own hash still breaks the next link.
                _ => "UPDATE audit_log SET actor_email = 'someone@else.test', hash = @fakeHash WHERE id = @id3",
            };
            await connection.ExecuteAsync(sql, new { id3 = ids[2], id4 = ids[3], id6 = ids[5], fakeHash = new string('a', 64) }).WaitAsync(ApiCalls.Timeout);
        }

        var verify = await client.ApiGetAsync($"orgs/{orgId}/audit-logs/verify");

        // Assert
        Assert.Equal(HttpStatusCode.OK, verify.Status);
        Assert.False(verify.Body.GetProperty("valid").GetBoolean(), verify.Text);
        var expectedBrokenAt = tamper switch
        {
            "deleted" => ids[3],        // the row after the gap no longer follows its predecessor
            "reordered" => ids[3],      // the row moved up no longer follows the row before it
            "deleted-last" => ids[5],   // the head still names the removed entry
            "rehashed" => ids[2],
            _ => ids[2],
        };
        Assert.Equal(expectedBrokenAt, verify.Str("brokenAt"));
        var otherVerify = await server.App.Services.GetRequiredService<Tollgate.Audit.AuditLog>().VerifyAsync(otherOrg, CancellationToken.None).WaitAsync(ApiCalls.Timeout);
        Assert.True(otherVerify.Valid); // chains are per org
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Record_ParallelChanges_OneUnbrokenChain(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);

        var creations = Enumerable.Range(0, 20).Select(i => client.ApiPostAsync($"orgs/{orgId}/projects", new { name = $"P{i}" })).ToList();
        var checks = Enumerable.Range(0, 10).Select(_ => client.ApiGetAsync($"orgs/{orgId}/audit-logs/verify")).ToList(); // while appends run
        var answers = await Task.WhenAll(creations).WaitAsync(TimeSpan.FromSeconds(60));
        var verdicts = await Task.WhenAll(checks).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.Status));
        Assert.All(verdicts, v => Assert.True(v.Body.GetProperty("valid").GetBoolean(), v.Text));
        var verify = await client.ApiGetAsync($"orgs/{orgId}/audit-logs/verify");
        Assert.True(verify.Body.GetProperty("valid").GetBoolean(), verify.Text);
        Assert.Equal(23, verify.Body.GetProperty("checked").GetInt32());
        var seqs = await SeqsAsync(server, orgId);
        Assert.Equal(Enumerable.Range(1, 23).Select(i => (long)i), seqs);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task AuditLog_ManagementChanges_RecordedWithActorTargetBeforeAfterAndIp(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        var dev = await TeamSetup.AddMemberAsync(owner, orgId, users[1], OrgRoles.Developer, p);
        var q = await TeamSetup.NewProjectAsync(owner, orgId, "Q");
        await owner.ApiPatchAsync($"orgs/{orgId}/members/{dev.MemberId}", new { role = OrgRoles.Admin, projectIds = new[] { p, q } });
        var key = await dev.Client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = p, name = "ci" });
        await dev.Client.ApiPatchAsync($"orgs/{orgId}/keys/{key.Str("id")}", new { name = "ci-bot" });
        await dev.Client.ApiDeleteAsync($"orgs/{orgId}/keys/{key.Str("id")}");
        await owner.ApiDeleteAsync($"orgs/{orgId}/projects/{q}");
        var invite = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = AccountSetup.NewEmail(), role = OrgRoles.Basic });
        await owner.ApiDeleteAsync($"orgs/{orgId}/invites/{invite.Str("id")}");
        await owner.ApiDeleteAsync($"orgs/{orgId}/members/{dev.MemberId}");

        var log = await owner.ApiGetAsync($"orgs/{orgId}/audit-logs?limit=200");

        Assert.Equal(HttpStatusCode.OK, log.Status);
        var entries = log.Body.GetProperty("data").EnumerateArray().Reverse().ToList();
        Assert.Equal(
            ["org.create", "project.create", "invite.create", "invite.accept", "project.create", "member.role.update", "member.projects.update",
             "key.create", "key.update", "key.delete", "project.delete", "invite.create", "invite.revoke", "member.remove"],
            entries.Select(e => e.GetProperty("action").GetString()));
        var roleChange = entries.Single(e => e.GetProperty("action").GetString() == "member.role.update");
        Assert.Equal(users[0].Email, roleChange.GetProperty("actor").GetProperty("email").GetString());
        Assert.StartsWith("mem_", roleChange.GetProperty("actor").GetProperty("memberId").GetString(), StringComparison.Ordinal);
        Assert.Equal("member", roleChange.GetProperty("target").GetProperty("type").GetString());
        Assert.Equal(dev.MemberId, roleChange.GetProperty("target").GetProperty("id").GetString());
        Assert.Equal("developer", roleChange.GetProperty("before").GetProperty("role").GetString());
        Assert.Equal("admin", roleChange.GetProperty("after").GetProperty("role").GetString());
        Assert.Equal("127.0.0.1", roleChange.GetProperty("ip").GetString());
        Assert.Matches(ApiCalls.TimePattern, roleChange.GetProperty("at").GetString()!);
        Assert.Matches("^[0-9a-f]{64}$", roleChange.GetProperty("hash").GetString()!);
        var accept = entries.Single(e => e.GetProperty("action").GetString() == "invite.accept");
        Assert.Equal(dev.MemberId, accept.GetProperty("actor").GetProperty("memberId").GetString());
        var keyUpdate = entries.Single(e => e.GetProperty("action").GetString() == "key.update");
        Assert.Equal("ci", keyUpdate.GetProperty("before").GetProperty("name").GetString());
        Assert.Equal("ci-bot", keyUpdate.GetProperty("after").GetProperty("name").GetString());
        Assert.DoesNotContain("tgk_", log.Text, StringComparison.Ordinal); // never a key secret
        Assert.DoesNotContain("tgi_", log.Text, StringComparison.Ordinal); // never an invite token
    }

    [Fact]
    public async Task AuditLog_FiltersAndCursor_PageThroughMatchingEntries()
    {
        await using var server = await TollgateServer.StartAsync();
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        for (var i = 0; i < 5; i++)
        {
            await client.ApiPostAsync($"orgs/{orgId}/projects", new { name = $"More {i}" });
        }

        var first = await client.ApiGetAsync($"orgs/{orgId}/audit-logs?action=project.create&limit=4");
        var second = await client.ApiGetAsync($"orgs/{orgId}/audit-logs?action=project.create&limit=4&cursor={first.Str("nextCursor")}");
        var keys = await client.ApiGetAsync($"orgs/{orgId}/audit-logs?action=key.*");
        var me = await client.ApiGetAsync("me");
        var byActor = await client.ApiGetAsync($"orgs/{orgId}/audit-logs?actor={me.Body.GetProperty("user").GetProperty("email").GetString()}");
        var future = await client.ApiGetAsync($"orgs/{orgId}/audit-logs?from=2999-01-01");
        var bad = await client.ApiGetAsync($"orgs/{orgId}/audit-logs?from=yesterday");

        Assert.Equal(4, first.Body.GetProperty("data").GetArrayLength());
        Assert.Equal(2, second.Body.GetProperty("data").GetArrayLength());
        Assert.Equal(JsonValueKindNull, second.Body.GetProperty("nextCursor").ValueKind);
        var all = first.Body.GetProperty("data").EnumerateArray().Concat(second.Body.GetProperty("data").EnumerateArray()).Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Equal(6, all.Distinct().Count());
        Assert.Equal(["key.create"], keys.Body.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("action").GetString()));
        Assert.Equal(8, byActor.Body.GetProperty("data").GetArrayLength());
        Assert.Equal(0, future.Body.GetProperty("data").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("from", bad.ErrorFields);
    }

    [Fact]
    public async Task AuditLog_CsvExport_EnterpriseOnly()
    {
        await using var enterprise = await TollgateServer.StartAsync();
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(enterprise);
        using var client = enterprise.CreateClient(token);
        var csv = await client.SendJsonAsync(HttpMethod.Get, $"orgs/{orgId}/audit-logs?format=csv", null);

        await using var pro = await TollgateServer.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:DefaultPlan"] = "pro" });
        var (proToken, proOrg, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(pro);
        using var proClient = pro.CreateClient(proToken);
        var refused = await proClient.ApiGetAsync($"orgs/{proOrg}/audit-logs?format=csv");
        var json = await proClient.ApiGetAsync($"orgs/{proOrg}/audit-logs");

        Assert.Equal(HttpStatusCode.OK, csv.Status);
        Assert.Equal("text/csv", csv.ContentType);
        var lines = csv.Text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("id,at,actorMemberId,actorEmail,action,targetType,targetId,before,after,ip,hash", lines[0]);
        Assert.Equal(4, lines.Length); // header, key.create, project.create, org.create
        Assert.Contains(",key.create,key,", lines[1], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("plan_required", refused.Str("code"));
        Assert.Equal("This feature requires the enterprise plan.", refused.Str("detail"));
        Assert.Equal(HttpStatusCode.OK, json.Status);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    private static async Task<List<string>> IdsBySeqAsync(TollgateServer server, string orgId)
    {
        await using var connection = await TeamSetup.OpenDatabaseAsync(server);
        return (await connection.QueryAsync<string>("SELECT id FROM audit_log WHERE org_id = @orgId ORDER BY seq", new { orgId }).WaitAsync(ApiCalls.Timeout)).AsList();
    }

    private static async Task<List<long>> SeqsAsync(TollgateServer server, string orgId)
    {
        await using var connection = await TeamSetup.OpenDatabaseAsync(server);
        return (await connection.QueryAsync<long>("SELECT seq FROM audit_log WHERE org_id = @orgId ORDER BY seq", new { orgId }).WaitAsync(ApiCalls.Timeout)).AsList();
    }
}
