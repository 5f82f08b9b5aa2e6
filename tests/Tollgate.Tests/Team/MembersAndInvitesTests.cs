using System.Net;
using Dapper;
using Tollgate.Accounts;
using Tollgate.Analytics;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Team;

public sealed class MembersAndInvitesTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Invite_CreateAndAccept_MembershipWithRoleAndProjects(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 3);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");

        var invite = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = users[1].Email.ToUpperInvariant(), role = "developer", projectIds = new[] { p } });
        var token = invite.Str("token");
        var wrongUser = await users[2].Client.ApiPostAsync($"invites/{token}/accept");
        var accepted = await users[1].Client.ApiPostAsync($"invites/{token}/accept");
        var again = await users[1].Client.ApiPostAsync($"invites/{token}/accept");
        var unknown = await users[1].Client.ApiPostAsync($"invites/tgi_{new string('x', 40)}/accept");
        var me = await users[1].Client.ApiGetAsync("me");
        var membership = await users[1].Client.ApiGetAsync($"orgs/{orgId}/members/me");
        var list = await owner.ApiGetAsync($"orgs/{orgId}/invites");

        Assert.Equal(HttpStatusCode.Created, invite.Status);
        Assert.StartsWith("tgi_", token, StringComparison.Ordinal);
        Assert.StartsWith("inv_", invite.Str("id"), StringComparison.Ordinal);
        var expiresAt = DateTimeOffset.Parse(invite.Str("expiresAt"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        Assert.Equal(HttpStatusCode.Forbidden, wrongUser.Status);
        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.Equal(orgId, accepted.Str("orgId"));
        Assert.Equal("developer", accepted.Str("role"));
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Contains(me.Body.GetProperty("memberships").EnumerateArray(), m => m.GetProperty("orgId").GetString() == orgId && m.GetProperty("role").GetString() == "developer");
        Assert.Equal([p], membership.Body.GetProperty("projectIds").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(users[1].Email, membership.Str("email"));
        Assert.True(membership.Body.GetProperty("budget").TryGetProperty("effective", out _)); // api.md: members/me carries the effective budget
        var listed = Assert.Single(list.Body.GetProperty("data").EnumerateArray());
        Assert.Equal("accepted", listed.GetProperty("status").GetString());
        Assert.False(listed.TryGetProperty("token", out _));
        Assert.Equal(accepted.Str("memberId"), listed.GetProperty("acceptedMemberId").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Invite_RemovedMemberReinvited_NewMembershipOldKeysStayDisabled(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        var gone = await TeamSetup.NewProjectAsync(owner, orgId, "Gone");
        var first = await TeamSetup.AddMemberAsync(owner, orgId, users[1], OrgRoles.Developer, p);
        var oldKey = await first.Client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = p, name = "old" });
        await owner.ApiDeleteAsync($"orgs/{orgId}/members/{first.MemberId}");
        var invite = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = users[1].Email, role = "developer", projectIds = new[] { p, gone } });
        await owner.ApiDeleteAsync($"orgs/{orgId}/projects/{gone}"); // deleted before the invite is accepted

        var accepted = await users[1].Client.ApiPostAsync($"invites/{invite.Str("token")}/accept");
        var keys = await users[1].Client.ApiGetAsync($"orgs/{orgId}/keys");

        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.NotEqual(first.MemberId, accepted.Str("memberId"));
        Assert.Equal([p], accepted.Body.GetProperty("projectIds").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(0, keys.Body.GetProperty("data").GetArrayLength()); // the old membership's keys are not the new one's
        Assert.Equal(KeyAuthFailure.Disabled, (await ApiCalls.AuthenticateBearerAsync(server, oldKey.Str("key"))).Failure);
    }

    [Fact]
    public async Task Invite_ExpiredOrRevoked_Gone()
    {
        var clock = new ShiftedTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TollgateServer.StartAsync(configure: b => b.Services.AddSingleton<TimeProvider>(clock));
        var users = await TeamSetup.NewUsersAsync(server, 3);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var expiring = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = users[1].Email, role = "admin" });
        var revoked = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = users[2].Email, role = "billing" });

        var revoke = await owner.ApiDeleteAsync($"orgs/{orgId}/invites/{revoked.Str("id")}");
        var revokeAgain = await owner.ApiDeleteAsync($"orgs/{orgId}/invites/{revoked.Str("id")}");
        var acceptRevoked = await users[2].Client.ApiPostAsync($"invites/{revoked.Str("token")}/accept");
        clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        var acceptExpired = await users[1].Client.ApiPostAsync($"invites/{expiring.Str("token")}/accept");
        var list = await owner.ApiGetAsync($"orgs/{orgId}/invites");

        Assert.Equal(HttpStatusCode.NoContent, revoke.Status);
        Assert.Equal(HttpStatusCode.NoContent, revokeAgain.Status);
        Assert.Equal(HttpStatusCode.Gone, acceptRevoked.Status);
        Assert.Equal(HttpStatusCode.Gone, acceptExpired.Status);
        Assert.Contains("expired", acceptExpired.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(["expired", "revoked"], list.Body.GetProperty("data").EnumerateArray().Select(i => i.GetProperty("status").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await users[1].Client.ApiGetAsync($"orgs/{orgId}")).Status);
    }

    [Fact]
    public async Task Invite_Validation_DeveloperNeedsProjectAndKnownRole()
    {
        await using var server = await TollgateServer.StartAsync();
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;

        var noProject = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = AccountSetup.NewEmail(), role = "developer", projectIds = Array.Empty<string>() });
        var badRole = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = "not-an-email", role = "superuser" });
        var unknownProject = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = AccountSetup.NewEmail(), role = "basic", projectIds = new[] { "prj_nope" } });
        var selfInvite = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = users[0].Email, role = "admin" });

        Assert.Equal(HttpStatusCode.BadRequest, noProject.Status);
        Assert.Equal(["projectIds"], noProject.ErrorFields);
        Assert.Equal("A developer must be granted at least one project.", noProject.Body.GetProperty("errors").GetProperty("projectIds")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badRole.Status);
        Assert.Equal(["email", "role"], badRole.ErrorFields.Order());
        Assert.Equal(HttpStatusCode.NotFound, unknownProject.Status);
        Assert.Equal(HttpStatusCode.Conflict, selfInvite.Status);
    }

    [Fact]
    public async Task ProjectScopedDeveloper_NonEnterprisePlan_403PlanRequired()
    {
        await using var server = await TollgateServer.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:DefaultPlan"] = "pro" });
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        var basic = await TeamSetup.AddMemberAsync(owner, orgId, users[1], OrgRoles.Basic, p);

        var invite = await owner.ApiPostAsync($"orgs/{orgId}/invites", new { email = AccountSetup.NewEmail(), role = "developer", projectIds = new[] { p } });
        var promote = await owner.ApiPatchAsync($"orgs/{orgId}/members/{basic.MemberId}", new { role = "developer" });
        var members = await owner.ApiGetAsync($"orgs/{orgId}/members");

        foreach (var refused in new[] { invite, promote })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.Equal("application/problem+json", refused.ContentType);
            Assert.Equal("plan_required", refused.Str("code"));
            Assert.Equal("This feature requires the enterprise plan.", refused.Str("detail"));
        }

        // Per-member usage columns are enterprise-only too: left out, not refused.
        Assert.Equal(HttpStatusCode.OK, members.Status);
        Assert.All(members.Body.GetProperty("data").EnumerateArray(), m => Assert.False(m.TryGetProperty("usage", out _)));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Owners_AdminCannotTouchThem_LastOneCannotLeaveOrBeDemoted(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 3);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var ownerId = (await owner.ApiGetAsync($"orgs/{orgId}/members/me")).Str("memberId");
        var admin = await TeamSetup.AddMemberAsync(owner, orgId, users[1], OrgRoles.Admin);
        var other = await TeamSetup.AddMemberAsync(owner, orgId, users[2], OrgRoles.Basic);

        var adminDemotesOwner = await admin.Client.ApiPatchAsync($"orgs/{orgId}/members/{ownerId}", new { role = "admin" });
        var adminRemovesOwner = await admin.Client.ApiDeleteAsync($"orgs/{orgId}/members/{ownerId}");
        var adminMakesOwner = await admin.Client.ApiPatchAsync($"orgs/{orgId}/members/{other.MemberId}", new { role = "owner" });
        var adminPromotesSelf = await admin.Client.ApiPatchAsync($"orgs/{orgId}/members/{admin.MemberId}", new { role = "owner" });
        var adminInvitesOwner = await admin.Client.ApiPostAsync($"orgs/{orgId}/invites", new { email = AccountSetup.NewEmail(), role = "owner" });
        var lastOwnerDemoted = await owner.ApiPatchAsync($"orgs/{orgId}/members/{ownerId}", new { role = "admin" });
        var lastOwnerLeaves = await owner.ApiDeleteAsync($"orgs/{orgId}/members/{ownerId}");

        foreach (var refused in new[] { adminDemotesOwner, adminRemovesOwner, adminMakesOwner, adminPromotesSelf, adminInvitesOwner })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        }

        Assert.Equal(HttpStatusCode.Conflict, lastOwnerDemoted.Status);
        Assert.Equal(HttpStatusCode.Conflict, lastOwnerLeaves.Status);
        Assert.Equal("owner", (await owner.ApiGetAsync($"orgs/{orgId}/members/me")).Str("role"));

        // With a second owner, the first may step down.
        Assert.Equal(HttpStatusCode.OK, (await owner.ApiPatchAsync($"orgs/{orgId}/members/{admin.MemberId}", new { role = "owner" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await owner.ApiPatchAsync($"orgs/{orgId}/members/{ownerId}", new { role = "admin" })).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.Client.ApiDeleteAsync($"orgs/{orgId}/members/{admin.MemberId}")).Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Owners_ConcurrentDemotions_OneOwnerAlwaysRemains(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var first = (await users[0].Client.ApiGetAsync($"orgs/{orgId}/members/me")).Str("memberId");
        var second = await TeamSetup.AddMemberAsync(users[0].Client, orgId, users[1], OrgRoles.Owner);

        var answers = await Task.WhenAll(
            users[0].Client.ApiPatchAsync($"orgs/{orgId}/members/{second.MemberId}", new { role = "admin" }),
            users[1].Client.ApiPatchAsync($"orgs/{orgId}/members/{first}", new { role = "admin" })).WaitAsync(ApiCalls.Timeout);

        Assert.True(answers.Count(a => a.Status == HttpStatusCode.OK) == 1, string.Join(" | ", answers.Select(a => a.Text)));
        // The loser is refused either as the last owner (409) or, if the winner finished first, as no longer an owner (403).
        Assert.True(answers.Count(a => a.Status is HttpStatusCode.Conflict or HttpStatusCode.Forbidden) == 1, string.Join(" | ", answers.Select(a => a.Text)));
        var members = await (answers[0].Status == HttpStatusCode.OK ? users[0] : users[1]).Client.ApiGetAsync($"orgs/{orgId}/members");
        Assert.True(members.Body.GetProperty("data").EnumerateArray().Count(m => m.GetProperty("role").GetString() == "owner") == 1, members.Text + string.Join(" | ", answers.Select(a => a.Text)));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task RoleChange_SetsRoleSince_AndNewMembersHaveIt(DbDialect dialect)
    {
        var clock = new ShiftedTimeProvider(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await TollgateServer.StartAsync(dialect, configure: b => b.Services.AddSingleton<TimeProvider>(clock));
        var users = await TeamSetup.NewUsersAsync(server, 2);
        var orgId = await TeamSetup.NewOrgAsync(users[0]);
        var owner = users[0].Client;
        var p = await TeamSetup.NewProjectAsync(owner, orgId, "P");
        var member = await TeamSetup.AddMemberAsync(owner, orgId, users[1], OrgRoles.Basic, p);
        var joined = await owner.ApiGetAsync($"orgs/{orgId}/members/{member.MemberId}");

        clock.Advance(TimeSpan.FromDays(3));
        var unchanged = await owner.ApiPatchAsync($"orgs/{orgId}/members/{member.MemberId}", new { role = "basic", projectIds = new[] { p } });
        clock.Advance(TimeSpan.FromDays(2));
        var changed = await owner.ApiPatchAsync($"orgs/{orgId}/members/{member.MemberId}", new { role = "developer" });

        Assert.Equal(joined.Str("joinedAt"), joined.Str("roleSince"));
        Assert.Equal(joined.Str("roleSince"), unchanged.Str("roleSince"));
        Assert.Equal("developer", changed.Str("role"));
        var expected = DateTimeOffset.Parse(joined.Str("roleSince"), System.Globalization.CultureInfo.InvariantCulture).AddDays(5);
        var actual = DateTimeOffset.Parse(changed.Str("roleSince"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(actual - expected, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        await using var connection = await TeamSetup.OpenDatabaseAsync(server);
        var nulls = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM members WHERE role_since IS NULL").WaitAsync(ApiCalls.Timeout);
        Assert.Equal(0, nulls); // the org's owner and the invited member both got one on insert
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task MemberList_EnterpriseAdmins_UsagePerMemberFromTheLedger(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server);
        var org = await TeamSetup.NewTeamOrgAsync(server, users);
        var dev = org.ByRole[OrgRoles.Developer];
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await InsertLedgerAsync(server, org, dev.MemberId, costPico: 1_500_000_000_000, input: 100, output: 20, endedAt: now - 1000);
        await InsertLedgerAsync(server, org, dev.MemberId, costPico: 250_000_000, input: 7, output: 3, endedAt: now - 2000);
        await InsertLedgerAsync(server, org, dev.MemberId, costPico: 9_000_000_000_000, input: 1, output: 1, endedAt: now - (40L * 24 * 3600 * 1000)); // outside 30 days
        await InsertLedgerAsync(server, org, org.Owner.MemberId, costPico: 42_130_000_000_000, input: 1, output: 2, endedAt: now - 5000);

        var asBilling = await org.ByRole[OrgRoles.Billing].Client.ApiGetAsync($"orgs/{org.OrgId}/members");
        var asDeveloper = await dev.Client.ApiGetAsync($"orgs/{org.OrgId}/members");
        var longRange = await org.Owner.Client.ApiGetAsync($"orgs/{org.OrgId}/members?from={DateTimeOffset.UtcNow.AddDays(-60):yyyy-MM-dd}");
        var badRange = await org.Owner.Client.ApiGetAsync($"orgs/{org.OrgId}/members?from=last-week");

        var byMember = asBilling.Body.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("memberId").GetString()!);
        Assert.Equal(7, byMember.Count);
        var devUsage = byMember[dev.MemberId].GetProperty("usage");
        Assert.Equal("1.50025", devUsage.GetProperty("cost").GetString());
        Assert.Equal(107, devUsage.GetProperty("inputTokens").GetInt64());
        Assert.Equal(23, devUsage.GetProperty("outputTokens").GetInt64());
        Assert.Equal(2, devUsage.GetProperty("requests").GetInt64());
        Assert.Equal(1, devUsage.GetProperty("activeKeys").GetInt64());
        Assert.Equal("42.13", byMember[org.Owner.MemberId].GetProperty("usage").GetProperty("cost").GetString());
        Assert.Equal("0", byMember[org.Target.MemberId].GetProperty("usage").GetProperty("cost").GetString());
        Assert.Equal(["developer"], byMember[dev.MemberId].GetProperty("role").GetString() is { } r ? [r] : []);
        var self = Assert.Single(asDeveloper.Body.GetProperty("data").EnumerateArray());
        Assert.False(self.TryGetProperty("usage", out _));
        var devLong = longRange.Body.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("memberId").GetString() == dev.MemberId);
        Assert.Equal("10.50025", devLong.GetProperty("usage").GetProperty("cost").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, badRange.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task MemberList_RangeOfInstantsMidBucket_CountsExactlyTheRowsEndedInIt(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server);
        var org = await TeamSetup.NewTeamOrgAsync(server, users);
        var dev = org.ByRole[OrgRoles.Developer].MemberId;

        // Both ends 7 minutes into a 15-minute bucket: rows in the partial buckets come from the
        // ledger, the whole buckets between from the rollups; each row has its own power of two.
        const long Quarter = 15 * 60 * 1000;
        var from = (DateTimeOffset.UtcNow.AddDays(-3).ToUnixTimeMilliseconds() / Quarter * Quarter) + (7 * 60 * 1000);
        var to = from + (2 * 24 * 3600 * 1000);
        (long At, long Cost, bool Inside)[] rows =
        [
            (from - 1, 1, false), (from - (6 * 60 * 1000), 2, false), (from, 4, true), (from + (7 * 60 * 1000), 8, true),
            (from + (9 * 60 * 1000), 16, true), (from + (26 * 3600 * 1000), 32, true), (to - (9 * 60 * 1000), 64, true), (to - 1, 128, true),
            (to, 256, false), (to + (7 * 60 * 1000), 512, false), (to + (9 * 60 * 1000), 1024, false),
        ];
        foreach (var (at, cost, _) in rows)
        {
            await InsertLedgerAsync(server, org, dev, costPico: cost * 1_000_000_000, input: 1, output: 1, endedAt: at);
        }

        static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var list = await org.Owner.Client.ApiGetAsync($"orgs/{org.OrgId}/members?from={Uri.EscapeDataString(Iso(from))}&to={Uri.EscapeDataString(Iso(to))}");

        var usage = list.Body.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("memberId").GetString() == dev).GetProperty("usage");
        Assert.Equal(Money.ToWire(rows.Where(r => r.Inside).Sum(r => r.Cost) * 1_000_000_000), usage.GetProperty("cost").GetString());
        Assert.Equal(rows.Count(r => r.Inside), usage.GetProperty("requests").GetInt64());
    }

    private static async Task InsertLedgerAsync(TollgateServer server, TeamOrg org, string memberId, long costPico, long input, long output, long endedAt)
    {
        var id = Guid.NewGuid().ToString("N");
        await using var connection = await TeamSetup.OpenDatabaseAsync(server);
        await using var tx = await connection.BeginTransactionAsync().AsTask().WaitAsync(ApiCalls.Timeout);
        await connection.ExecuteAsync(
            """
            INSERT INTO ledger (id, request_id, attempt, org_id, project_id, member_id, key_id, service, endpoint, model, provider, provider_model,
                                status, http_status, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
                                cost_pico, usage_estimated, streamed, cancelled, latency_ms, started_at, ended_at, error)
            VALUES (@id, @id, 1, @orgId, @projectId, @memberId, @keyId, 'llm', '/v1/chat/completions', 'm', 'p', 'pm',
                    'ok', 200, @input, 0, 0, @output, 0, @costPico, @no, @no, @no, 10, @endedAt, @endedAt, NULL)
            """,
            new { id, orgId = org.OrgId, projectId = org.ProjectP, memberId, keyId = org.KeyOf[memberId], input, output, costPico, endedAt, no = false }, tx).WaitAsync(ApiCalls.Timeout);

        // The ledger writer adds every row it inserts to the rollups in the same transaction; so does this.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(endedAt);
        await Rollups.AddAsync(connection, tx, [new LedgerEntry
        {
            Id = id, RequestId = id, Attempt = 1, OrgId = org.OrgId, ProjectId = org.ProjectP, MemberId = memberId, KeyId = org.KeyOf[memberId],
            Service = "llm", Endpoint = "/v1/chat/completions", Model = "m", Provider = "p", ProviderModel = "pm", Status = LedgerStatus.Ok,
            HttpStatus = 200, InputTokens = input, OutputTokens = output, CostPico = costPico, StartedAt = at, EndedAt = at,
        }]).WaitAsync(ApiCalls.Timeout);
        await tx.CommitAsync().WaitAsync(ApiCalls.Timeout);
    }
}
