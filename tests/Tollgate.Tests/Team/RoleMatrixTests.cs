using System.Net;
using Microsoft.AspNetCore.Routing;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Team;

/// <summary>
/// Every management endpoint under <c>/orgs/{orgId}</c> called by every role, against the
/// outcomes of <c>roles.md</c>. The table below is the contract; an endpoint without a row fails
/// <see cref="Matrix_EveryOrgEndpoint_HasARow"/>, so new endpoints (budgets, billing, ...) must add theirs.
/// </summary>
public sealed class RoleMatrixTests
{
    // Expected status per role, in the order owner, admin, billing, developer, basic.
    private static readonly string[] RoleOrder = [OrgRoles.Owner, OrgRoles.Admin, OrgRoles.Billing, OrgRoles.Developer, OrgRoles.Basic];

    /// <summary>One call: the route pattern it exercises, how to build it for an org and an acting member, and what each role gets.</summary>
    private sealed record Row(string Method, string Route, string Case, Func<TeamOrg, TestMember, string> Path, Func<TeamOrg, object?>? Body, int[] Expected)
    {
        public bool Mutates => Method != "GET";

        public override string ToString() => $"{Method} {Route} ({Case})";
    }

    private static Row R(string method, string route, string @case, Func<TeamOrg, TestMember, string> path, int[] expected, Func<TeamOrg, object?>? body = null) =>
        new(method, route, @case, path, body, expected);

    private const int Ok = 200, Created = 201, NoContent = 204, Forbidden = 403, NotFound = 404;

    private static readonly Row[] Rows =
    [
        // :: Org
        R("GET", "/orgs/{orgId}", "read", (o, _) => $"orgs/{o.OrgId}", [Ok, Ok, Ok, Ok, Ok]),
        R("PATCH", "/orgs/{orgId}", "rename", (o, _) => $"orgs/{o.OrgId}", [Ok, Ok, Forbidden, Forbidden, Forbidden], _ => new { name = "Renamed" }),
        R("PATCH", "/orgs/{orgId}", "billing details", (o, _) => $"orgs/{o.OrgId}", [Ok, Ok, Ok, Forbidden, Forbidden], _ => new { billing = new { company = "Acme" } }),
        R("PATCH", "/orgs/{orgId}", "billing mode and tax rate", (o, _) => $"orgs/{o.OrgId}", [Ok, Ok, Forbidden, Forbidden, Forbidden], _ => new { billingMode = "credits", taxRate = "0.19" }),
        R("GET", "/orgs/{orgId}/roles", "matrix", (o, _) => $"orgs/{o.OrgId}/roles", [Ok, Ok, Ok, Ok, Ok]),

        // :: Projects: P is granted to developer and basic, Q to nobody
        R("GET", "/orgs/{orgId}/projects", "list", (o, _) => $"orgs/{o.OrgId}/projects", [Ok, Ok, Ok, Ok, Ok]),
        R("POST", "/orgs/{orgId}/projects", "create", (o, _) => $"orgs/{o.OrgId}/projects", [Created, Created, Forbidden, Forbidden, Forbidden], _ => new { name = "New" }),
        R("GET", "/orgs/{orgId}/projects/{projectId}", "granted", (o, _) => $"orgs/{o.OrgId}/projects/{o.ProjectP}", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/orgs/{orgId}/projects/{projectId}", "not granted", (o, _) => $"orgs/{o.OrgId}/projects/{o.ProjectQ}", [Ok, Ok, Ok, NotFound, NotFound]),
        R("PATCH", "/orgs/{orgId}/projects/{projectId}", "granted", (o, _) => $"orgs/{o.OrgId}/projects/{o.ProjectP}", [Ok, Ok, Forbidden, Forbidden, Forbidden], _ => new { name = "Renamed" }),
        R("PATCH", "/orgs/{orgId}/projects/{projectId}", "not granted", (o, _) => $"orgs/{o.OrgId}/projects/{o.ProjectQ}", [Ok, Ok, Forbidden, NotFound, NotFound], _ => new { name = "Renamed" }),
        R("DELETE", "/orgs/{orgId}/projects/{projectId}", "granted", (o, _) => $"orgs/{o.OrgId}/projects/{o.ProjectP}", [NoContent, NoContent, Forbidden, Forbidden, Forbidden]),
        R("DELETE", "/orgs/{orgId}/projects/{projectId}", "not granted", (o, _) => $"orgs/{o.OrgId}/projects/{o.ProjectQ}", [NoContent, NoContent, Forbidden, NotFound, NotFound]),

        // :: Members: target is another developer; owner2 another owner
        R("GET", "/orgs/{orgId}/members", "list", (o, _) => $"orgs/{o.OrgId}/members", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/orgs/{orgId}/members/me", "own", (o, _) => $"orgs/{o.OrgId}/members/me", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/orgs/{orgId}/members/{memberId}", "self", (o, m) => $"orgs/{o.OrgId}/members/{m.MemberId}", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/orgs/{orgId}/members/{memberId}", "other", (o, _) => $"orgs/{o.OrgId}/members/{o.Target.MemberId}", [Ok, Ok, Ok, NotFound, NotFound]),
        R("PATCH", "/orgs/{orgId}/members/{memberId}", "other's projects", (o, _) => $"orgs/{o.OrgId}/members/{o.Target.MemberId}",
            [Ok, Ok, Forbidden, NotFound, NotFound], o => new { projectIds = new[] { o.ProjectP, o.ProjectQ } }),
        R("PATCH", "/orgs/{orgId}/members/{memberId}", "other's role", (o, _) => $"orgs/{o.OrgId}/members/{o.Target.MemberId}",
            [Ok, Ok, Forbidden, NotFound, NotFound], _ => new { role = OrgRoles.Basic }),
        R("PATCH", "/orgs/{orgId}/members/{memberId}", "an owner's role", (o, _) => $"orgs/{o.OrgId}/members/{o.Owner2.MemberId}",
            [Ok, Forbidden, Forbidden, NotFound, NotFound], _ => new { role = OrgRoles.Admin }),
        R("PATCH", "/orgs/{orgId}/members/{memberId}", "make owner", (o, _) => $"orgs/{o.OrgId}/members/{o.Target.MemberId}",
            [Ok, Forbidden, Forbidden, NotFound, NotFound], _ => new { role = OrgRoles.Owner }),
        R("PATCH", "/orgs/{orgId}/members/{memberId}", "self", (o, m) => $"orgs/{o.OrgId}/members/{m.MemberId}",
            [Ok, Ok, Forbidden, Forbidden, Forbidden], o => new { projectIds = new[] { o.ProjectP } }),
        R("DELETE", "/orgs/{orgId}/members/{memberId}", "other", (o, _) => $"orgs/{o.OrgId}/members/{o.Target.MemberId}", [NoContent, NoContent, Forbidden, NotFound, NotFound]),
        R("DELETE", "/orgs/{orgId}/members/{memberId}", "an owner", (o, _) => $"orgs/{o.OrgId}/members/{o.Owner2.MemberId}", [NoContent, Forbidden, Forbidden, NotFound, NotFound]),
        R("DELETE", "/orgs/{orgId}/members/{memberId}", "self", (o, m) => $"orgs/{o.OrgId}/members/{m.MemberId}", [NoContent, NoContent, Forbidden, Forbidden, Forbidden]),

        // :: Invites
        R("POST", "/orgs/{orgId}/invites", "developer", (o, _) => $"orgs/{o.OrgId}/invites", [Created, Created, Forbidden, Forbidden, Forbidden],
            o => new { email = AccountSetup.NewEmail(), role = OrgRoles.Developer, projectIds = new[] { o.ProjectP } }),
        R("POST", "/orgs/{orgId}/invites", "owner", (o, _) => $"orgs/{o.OrgId}/invites", [Created, Forbidden, Forbidden, Forbidden, Forbidden],
            _ => new { email = AccountSetup.NewEmail(), role = OrgRoles.Owner }),
        R("POST", "/orgs/{orgId}/invites", "developer with caps", (o, _) => $"orgs/{o.OrgId}/invites", [Created, Created, Forbidden, Forbidden, Forbidden],
            o => new { email = AccountSetup.NewEmail(), role = OrgRoles.Developer, projectIds = new[] { o.ProjectP },
                budget = new { spend = new { type = "fixed", limit = "25" }, period = new { type = "rolling", limit = "5", window = "day" }, maxActiveKeys = new { type = "limit", value = 2 } } }),
        R("GET", "/orgs/{orgId}/invites", "list", (o, _) => $"orgs/{o.OrgId}/invites", [Ok, Ok, Forbidden, Forbidden, Forbidden]),
        R("DELETE", "/orgs/{orgId}/invites/{inviteId}", "revoke", (o, _) => $"orgs/{o.OrgId}/invites/{o.InviteId}", [NoContent, NoContent, Forbidden, Forbidden, Forbidden]),

        // :: Keys: every member owns one key in P; "other" is the target developer's key
        R("GET", "/orgs/{orgId}/keys", "list", (o, _) => $"orgs/{o.OrgId}/keys", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/orgs/{orgId}/keys", "other member's", (o, _) => $"orgs/{o.OrgId}/keys?memberId={o.Target.MemberId}", [Ok, Ok, Ok, NotFound, NotFound]),
        R("GET", "/orgs/{orgId}/keys", "project not granted", (o, _) => $"orgs/{o.OrgId}/keys?projectId={o.ProjectQ}", [Ok, Ok, Ok, NotFound, NotFound]),
        R("POST", "/orgs/{orgId}/keys", "granted project", (o, _) => $"orgs/{o.OrgId}/keys", [Created, Created, Forbidden, Created, Forbidden],
            o => new { projectId = o.ProjectP, name = "new" }),
        R("POST", "/orgs/{orgId}/keys", "project not granted", (o, _) => $"orgs/{o.OrgId}/keys", [Created, Created, Forbidden, NotFound, Forbidden],
            o => new { projectId = o.ProjectQ, name = "new" }),
        R("GET", "/orgs/{orgId}/keys/{keyId}", "own", (o, m) => $"orgs/{o.OrgId}/keys/{o.KeyOf[m.MemberId]}", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/orgs/{orgId}/keys/{keyId}", "other's", (o, _) => $"orgs/{o.OrgId}/keys/{o.KeyOf[o.Target.MemberId]}", [Ok, Ok, Ok, NotFound, NotFound]),
        R("PATCH", "/orgs/{orgId}/keys/{keyId}", "own", (o, m) => $"orgs/{o.OrgId}/keys/{o.KeyOf[m.MemberId]}", [Ok, Ok, Forbidden, Ok, Forbidden], _ => new { status = "disabled" }),
        R("PATCH", "/orgs/{orgId}/keys/{keyId}", "other's", (o, _) => $"orgs/{o.OrgId}/keys/{o.KeyOf[o.Target.MemberId]}", [Ok, Ok, Forbidden, NotFound, NotFound], _ => new { status = "disabled" }),
        R("DELETE", "/orgs/{orgId}/keys/{keyId}", "own", (o, m) => $"orgs/{o.OrgId}/keys/{o.KeyOf[m.MemberId]}", [NoContent, NoContent, Forbidden, NoContent, Forbidden]),
        R("DELETE", "/orgs/{orgId}/keys/{keyId}", "other's", (o, _) => $"orgs/{o.OrgId}/keys/{o.KeyOf[o.Target.MemberId]}", [NoContent, NoContent, Forbidden, NotFound, NotFound]),
        R("POST", "/orgs/{orgId}/keys/{keyId}/rotate", "own", (o, m) => $"orgs/{o.OrgId}/keys/{o.KeyOf[m.MemberId]}/rotate", [Ok, Ok, Forbidden, Ok, Forbidden]),
        R("POST", "/orgs/{orgId}/keys/{keyId}/rotate", "other's", (o, _) => $"orgs/{o.OrgId}/keys/{o.KeyOf[o.Target.MemberId]}/rotate", [Ok, Ok, Forbidden, NotFound, NotFound]),

        // :: Budgets (budgets.md, roles.md: owner/admin/billing see and edit every budget; everyone sees their own)
        R("GET", "/orgs/{orgId}/default-developer-limits", "read", (o, _) => $"orgs/{o.OrgId}/default-developer-limits", [Ok, Ok, Ok, Forbidden, Forbidden]),
        R("PUT", "/orgs/{orgId}/default-developer-limits", "set", (o, _) => $"orgs/{o.OrgId}/default-developer-limits", [Ok, Ok, Ok, Forbidden, Forbidden],
            _ => new { spend = new { type = "monthly", limit = "50" } }),
        R("GET", "/orgs/{orgId}/members/me/budget", "own", (o, _) => $"orgs/{o.OrgId}/members/me/budget", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/orgs/{orgId}/members/{memberId}/budget", "self", (o, m) => $"orgs/{o.OrgId}/members/{m.MemberId}/budget", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/orgs/{orgId}/members/{memberId}/budget", "other", (o, _) => $"orgs/{o.OrgId}/members/{o.Target.MemberId}/budget", [Ok, Ok, Ok, NotFound, NotFound]),
        R("PUT", "/orgs/{orgId}/members/{memberId}/budget", "other", (o, _) => $"orgs/{o.OrgId}/members/{o.Target.MemberId}/budget", [Ok, Ok, Ok, NotFound, NotFound],
            _ => new { spend = new { type = "fixed", limit = "10" } }),
        R("PUT", "/orgs/{orgId}/members/{memberId}/budget", "self", (o, m) => $"orgs/{o.OrgId}/members/{m.MemberId}/budget", [Ok, Ok, Ok, Forbidden, Forbidden],
            _ => new { spend = new { type = "fixed", limit = "10" } }),
        R("GET", "/orgs/{orgId}/budgets", "page", (o, _) => $"orgs/{o.OrgId}/budgets", [Ok, Ok, Ok, Forbidden, Forbidden]),
        R("PUT", "/orgs/{orgId}/keys/{keyId}/budget", "own", (o, m) => $"orgs/{o.OrgId}/keys/{o.KeyOf[m.MemberId]}/budget", [Ok, Ok, Ok, Ok, Forbidden],
            _ => new { spend = new { type = "fixed", limit = "1" } }),
        R("PUT", "/orgs/{orgId}/keys/{keyId}/budget", "other's", (o, _) => $"orgs/{o.OrgId}/keys/{o.KeyOf[o.Target.MemberId]}/budget", [Ok, Ok, Ok, NotFound, NotFound],
            _ => new { spend = new { type = "fixed", limit = "1" } }),
        R("GET", "/orgs/{orgId}/keys/{keyId}/usage", "own", (o, m) => $"orgs/{o.OrgId}/keys/{o.KeyOf[m.MemberId]}/usage", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/orgs/{orgId}/keys/{keyId}/usage", "other's", (o, _) => $"orgs/{o.OrgId}/keys/{o.KeyOf[o.Target.MemberId]}/usage", [Ok, Ok, Ok, NotFound, NotFound]),

        // :: Master keys (enterprise plan; owner and admin)
        R("POST", "/orgs/{orgId}/master-keys", "create", (o, _) => $"orgs/{o.OrgId}/master-keys", [Created, Created, Forbidden, Forbidden, Forbidden], _ => new { name = "platform" }),
        R("GET", "/orgs/{orgId}/master-keys", "list", (o, _) => $"orgs/{o.OrgId}/master-keys", [Ok, Ok, Forbidden, Forbidden, Forbidden]),
        R("DELETE", "/orgs/{orgId}/master-keys/{masterKeyId}", "unknown id", (o, _) => $"orgs/{o.OrgId}/master-keys/mk_unknown", [NotFound, NotFound, Forbidden, Forbidden, Forbidden]),

        // :: Credits and transactions (roles.md: owner/admin/billing; without a payment provider a purchase is an owner/admin grant)
        R("GET", "/orgs/{orgId}/credits", "balance", (o, _) => $"orgs/{o.OrgId}/credits", [Ok, Ok, Ok, Forbidden, Forbidden]),
        R("POST", "/orgs/{orgId}/credits/purchase", "grant", (o, _) => $"orgs/{o.OrgId}/credits/purchase", [Created, Created, Forbidden, Forbidden, Forbidden],
            _ => new { amount = "10" }),
        R("GET", "/orgs/{orgId}/transactions", "list", (o, _) => $"orgs/{o.OrgId}/transactions", [Ok, Ok, Ok, Forbidden, Forbidden]),
        R("POST", "/orgs/{orgId}/transactions/{transactionId}/refund", "purchase", (o, _) => $"orgs/{o.OrgId}/transactions/{o.PurchaseId}/refund",
            [Created, Created, Created, Forbidden, Forbidden], _ => new { reason = "role matrix" }),
        R("GET", "/orgs/{orgId}/transactions/{transactionId}/invoice", "purchase", (o, _) => $"orgs/{o.OrgId}/transactions/{o.PurchaseId}/invoice",
            [Ok, Ok, Ok, Forbidden, Forbidden]),
        R("GET", "/orgs/{orgId}/transactions/{transactionId}/invoice", "unknown id", (o, _) => $"orgs/{o.OrgId}/transactions/txn_00000000000000000000000000/invoice",
            [NotFound, NotFound, NotFound, Forbidden, Forbidden]),

        // :: Analytics (organizationId in the query; developers and basic members see only their own usage)
        R("GET", "/analytics/activity", "org", (o, _) => $"analytics/activity?organizationId={o.OrgId}", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/analytics/activity", "by member", (o, _) => $"analytics/activity?organizationId={o.OrgId}&groupBy=member", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/analytics/activity", "csv", (o, _) => $"analytics/activity?organizationId={o.OrgId}&format=csv", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/analytics/activity", "other member", (o, _) => $"analytics/activity?organizationId={o.OrgId}&memberId={o.Target.MemberId}", [Ok, Ok, Ok, NotFound, NotFound]),
        R("GET", "/analytics/activity", "other's key", (o, _) => $"analytics/activity?organizationId={o.OrgId}&apiKeyId={o.KeyOf[o.Target.MemberId]}", [Ok, Ok, Ok, NotFound, NotFound]),
        R("GET", "/analytics/activity", "project not granted", (o, _) => $"analytics/activity?organizationId={o.OrgId}&projectId={o.ProjectQ}", [Ok, Ok, Ok, NotFound, NotFound]),
        R("GET", "/analytics/members", "team", (o, _) => $"analytics/members?organizationId={o.OrgId}", [Ok, Ok, Ok, Forbidden, Forbidden]),
        R("GET", "/analytics/members", "csv", (o, _) => $"analytics/members?organizationId={o.OrgId}&format=csv", [Ok, Ok, Ok, Forbidden, Forbidden]),
        R("GET", "/analytics/members/{memberId}", "self", (o, m) => $"analytics/members/{m.MemberId}?organizationId={o.OrgId}", [Ok, Ok, Ok, Ok, Ok]),
        R("GET", "/analytics/members/{memberId}", "other", (o, _) => $"analytics/members/{o.Target.MemberId}?organizationId={o.OrgId}", [Ok, Ok, Ok, NotFound, NotFound]),
        R("GET", "/analytics/me", "own", (o, _) => $"analytics/me?organizationId={o.OrgId}", [Ok, Ok, Ok, Ok, Ok]),

        // :: Budget alerts (owner and admin)
        R("GET", "/orgs/{orgId}/alerts", "read", (o, _) => $"orgs/{o.OrgId}/alerts", [Ok, Ok, Forbidden, Forbidden, Forbidden]),
        R("PUT", "/orgs/{orgId}/alerts", "thresholds", (o, _) => $"orgs/{o.OrgId}/alerts", [Ok, Ok, Forbidden, Forbidden, Forbidden], _ => new { thresholds = new[] { 50, 90 } }),

        // :: Org provider keys (roles.md: "provider keys, routing, org settings" is owner and admin)
        R("GET", "/orgs/{orgId}/provider-keys", "list", (o, _) => $"orgs/{o.OrgId}/provider-keys", [Ok, Ok, Forbidden, Forbidden, Forbidden]),
        R("POST", "/orgs/{orgId}/provider-keys", "create", (o, _) => $"orgs/{o.OrgId}/provider-keys", [Created, Created, Forbidden, Forbidden, Forbidden],
            _ => new { provider = "openai", name = "org key", apiKey = "sk-role-matrix-key-0001" }),
        R("GET", "/orgs/{orgId}/provider-keys/{id}", "unknown id", (o, _) => $"orgs/{o.OrgId}/provider-keys/pk_unknown", [NotFound, NotFound, Forbidden, Forbidden, Forbidden]),
        R("PATCH", "/orgs/{orgId}/provider-keys/{id}", "unknown id", (o, _) => $"orgs/{o.OrgId}/provider-keys/pk_unknown", [NotFound, NotFound, Forbidden, Forbidden, Forbidden],
            _ => new { name = "renamed" }),
        R("DELETE", "/orgs/{orgId}/provider-keys/{id}", "unknown id", (o, _) => $"orgs/{o.OrgId}/provider-keys/pk_unknown", [NotFound, NotFound, Forbidden, Forbidden, Forbidden]),

        // :: Audit log (the org is on the enterprise plan, so export is allowed)
        R("GET", "/orgs/{orgId}/audit-logs", "json", (o, _) => $"orgs/{o.OrgId}/audit-logs", [Ok, Ok, Ok, Forbidden, Forbidden]),
        R("GET", "/orgs/{orgId}/audit-logs", "csv", (o, _) => $"orgs/{o.OrgId}/audit-logs?format=csv", [Ok, Ok, Ok, Forbidden, Forbidden]),
        R("GET", "/orgs/{orgId}/audit-logs/verify", "verify", (o, _) => $"orgs/{o.OrgId}/audit-logs/verify", [Ok, Ok, Ok, Forbidden, Forbidden]),
    ];

    [Fact]
    public async Task Matrix_EveryOrgEndpoint_HasARow()
    {
        await using var server = await TollgateServer.StartAsync();
        var sources = server.App.Services.GetRequiredService<EndpointDataSource>();
        var missing = new List<string>();
        foreach (var endpoint in sources.Endpoints.OfType<RouteEndpoint>())
        {
            var route = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
            if (!route.StartsWith("/orgs/{orgId}", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var method in endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"])
            {
                if (!Rows.Any(r => r.Method == method && r.Route == route))
                {
                    missing.Add($"{method} {route}");
                }
            }
        }

        Assert.True(missing.Count == 0, "Endpoints without a row in the role matrix: " + string.Join(", ", missing));
        Assert.True(Rows.Length > 30);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Matrix_EveryRoleEveryEndpoint_AnswersAsRolesMd(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server);
        var failures = new List<string>();

        // Reads share one org; every mutating call gets a fresh org per role, so no call sees another's effect.
        var shared = await TeamSetup.NewTeamOrgAsync(server, users);
        foreach (var row in Rows)
        {
            for (var i = 0; i < RoleOrder.Length; i++)
            {
                var org = row.Mutates ? await TeamSetup.NewTeamOrgAsync(server, users) : shared;
                var member = org.ByRole[RoleOrder[i]];
                var answer = await member.Client.SendJsonAsync(new HttpMethod(row.Method), row.Path(org, member), row.Body?.Invoke(org));
                if ((int)answer.Status != row.Expected[i])
                {
                    failures.Add($"{row} as {RoleOrder[i]}: expected {row.Expected[i]}, got {(int)answer.Status} {answer.Text}");
                }
                else if ((int)answer.Status is Forbidden or NotFound && answer.ContentType != "application/problem+json")
                {
                    failures.Add($"{row} as {RoleOrder[i]}: {(int)answer.Status} is not a problem document");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Roles_Document_IsTheEnforcedMatrix()
    {
        await using var server = await TollgateServer.StartAsync();
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(server);
        using var client = server.CreateClient(token);
        var orgId = (await client.ApiPostAsync("orgs", new { name = "Roles" })).Str("id");

        var roles = await client.ApiGetAsync($"orgs/{orgId}/roles");

        Assert.Equal(HttpStatusCode.OK, roles.Status);
        Assert.Equal(RoleOrder, roles.Body.GetProperty("roles").EnumerateArray().Select(r => r.GetProperty("role").GetString()));
        foreach (var role in roles.Body.GetProperty("roles").EnumerateArray())
        {
            var name = role.GetProperty("role").GetString()!;
            var listed = role.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()).ToHashSet();
            foreach (var capability in Enum.GetValues<Capability>())
            {
                Assert.Equal(RolePolicy.Can(name, capability), listed.Contains(RolePolicy.WireName(capability)));
            }
        }

        var capabilities = roles.Body.GetProperty("capabilities").EnumerateArray().ToDictionary(c => c.GetProperty("capability").GetString()!);
        Assert.True(capabilities["manage_projects"].GetProperty("roles").GetProperty("admin").GetBoolean());
        Assert.False(capabilities["manage_projects"].GetProperty("roles").GetProperty("billing").GetBoolean());
        Assert.True(capabilities["view_audit_log"].GetProperty("roles").GetProperty("billing").GetBoolean());
        Assert.False(capabilities["delete_org"].GetProperty("roles").GetProperty("admin").GetBoolean());
        Assert.Equal("enterprise", capabilities["manage_master_keys"].GetProperty("plan").GetString());
    }
}
