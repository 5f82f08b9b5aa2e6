using System.Net;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Team;

public sealed class OrgSettingsTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task PatchOrg_SettingsAndBilling_StoredShownToBillingRolesAndAudited(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var users = await TeamSetup.NewUsersAsync(server, 3);
        var orgId = await TeamSetup.NewOrgAsync(users[0], "Acme");
        var owner = users[0].Client;
        var billing = await TeamSetup.AddMemberAsync(owner, orgId, users[1], OrgRoles.Billing);
        var basic = await TeamSetup.AddMemberAsync(owner, orgId, users[2], OrgRoles.Basic);

        var settings = await owner.ApiPatchAsync($"orgs/{orgId}", new { name = "Acme Inc", billingMode = "credits", taxRate = 0.19 });
        var details = await billing.Client.ApiPatchAsync($"orgs/{orgId}", new { billing = new { email = "Billing@Acme.test", company = "Acme Inc", country = "DE", taxId = "DE123" } });
        var partial = await billing.Client.ApiPatchAsync($"orgs/{orgId}", new { billing = new { notes = "net 30" } });
        var billingRenames = await billing.Client.ApiPatchAsync($"orgs/{orgId}", new { name = "Mine" });
        var invalid = await owner.ApiPatchAsync($"orgs/{orgId}", new { billingMode = "cash", taxRate = "1.5", billing = new { email = "nope" } });
        var asBasic = await basic.Client.ApiGetAsync($"orgs/{orgId}");
        var log = await owner.ApiGetAsync($"orgs/{orgId}/audit-logs?action=org.update");

        Assert.Equal(HttpStatusCode.OK, settings.Status);
        Assert.Equal("Acme Inc", settings.Str("name"));
        Assert.Equal("credits", settings.Str("billingMode"));
        Assert.Equal("0.19", settings.Str("taxRate"));
        Assert.Equal(HttpStatusCode.OK, details.Status);
        Assert.Equal("billing@acme.test", details.Body.GetProperty("billing").GetProperty("email").GetString());
        Assert.Equal("Acme Inc", partial.Body.GetProperty("billing").GetProperty("company").GetString());
        Assert.Equal("net 30", partial.Body.GetProperty("billing").GetProperty("notes").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, billingRenames.Status);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.Equal(["billing.email", "billingMode", "taxRate"], invalid.ErrorFields.Order(StringComparer.Ordinal));
        Assert.Equal("Acme Inc", asBasic.Str("name"));
        Assert.False(asBasic.Body.TryGetProperty("billing", out _));
        Assert.False(asBasic.Body.TryGetProperty("taxRate", out _));
        var entries = log.Body.GetProperty("data").EnumerateArray().Reverse().ToList();
        Assert.Equal(3, entries.Count);
        Assert.Equal("Acme", entries[0].GetProperty("before").GetProperty("name").GetString());
        Assert.Equal("0.19", entries[0].GetProperty("after").GetProperty("taxRate").GetString());
        Assert.False(entries[1].GetProperty("after").TryGetProperty("name", out _)); // only what changed
        Assert.Equal(billing.MemberId, entries[1].GetProperty("actor").GetProperty("memberId").GetString());
    }
}
