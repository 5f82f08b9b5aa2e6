using System.Net;
using Tollgate.Accounts;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Team;

/// <summary>A signed-in user of a test.</summary>
internal sealed record TestUser(string Email, string Token, string UserId, HttpClient Client);

/// <summary>A member of a test org: the user, the role and the membership id.</summary>
internal sealed record TestMember(TestUser User, string Role, string MemberId)
{
    /// <summary>The member's client (signed in).</summary>
    public HttpClient Client => User.Client;
}

/// <summary>
/// An org for team tests: an owner, a second owner, one member of every other role, and a
/// "target" developer to act on; project <see cref="ProjectP"/> is granted to the developers and
/// the basic member, <see cref="ProjectQ"/> to nobody; every member owns one key in P.
/// </summary>
internal sealed class TeamOrg
{
    public required string OrgId { get; init; }

    public required string ProjectP { get; init; }

    public required string ProjectQ { get; init; }

    public required IReadOnlyDictionary<string, TestMember> ByRole { get; init; }

    public required TestMember Owner2 { get; init; }

    public required TestMember Target { get; init; }

    /// <summary>Each member's own key (id) in P, by member id.</summary>
    public required IReadOnlyDictionary<string, string> KeyOf { get; init; }

    /// <summary>Each member's own key secret in P, by member id.</summary>
    public required IReadOnlyDictionary<string, string> SecretOf { get; init; }

    public required string InviteId { get; init; }

    /// <summary>A completed credit purchase (the owner's grant of 10), to refund and to invoice.</summary>
    public required string PurchaseId { get; init; }

    public TestMember Owner => ByRole[OrgRoles.Owner];
}

/// <summary>Builds users and team orgs through the real API (and keys for roles that may not create them, through the key store).</summary>
internal static class TeamSetup
{
    /// <summary>Signs up and logs in a new user.</summary>
    public static async Task<TestUser> NewUserAsync(TollgateServer server, string? name = null)
    {
        var email = AccountSetup.NewEmail();
        var (token, userId) = await AccountSetup.SignUpAndLogInAsync(server, email, name ?? "Member " + email[5..13]);
        return new TestUser(email, token, userId, server.CreateClient(token));
    }

    /// <summary>The users a <see cref="TeamOrg"/> needs (owner, owner2, admin, billing, developer, basic, target), made once per test.</summary>
    public static async Task<IReadOnlyList<TestUser>> NewUsersAsync(TollgateServer server, int count = 7)
    {
        var users = new TestUser[count];
        for (var i = 0; i < count; i++)
        {
            users[i] = await NewUserAsync(server);
        }

        return users;
    }

    /// <summary>A new org owned by <paramref name="owner"/>; returns its id.</summary>
    public static async Task<string> NewOrgAsync(TestUser owner, string name = "Team Org")
    {
        var org = await owner.Client.ApiPostAsync("orgs", new { name });
        Assert.True(org.Status == HttpStatusCode.Created, org.Text);
        return org.Str("id");
    }

    /// <summary>A new project in the org; returns its id.</summary>
    public static async Task<string> NewProjectAsync(HttpClient owner, string orgId, string name = "Project")
    {
        var project = await owner.ApiPostAsync($"orgs/{orgId}/projects", new { name });
        Assert.True(project.Status == HttpStatusCode.Created, project.Text);
        return project.Str("id");
    }

    /// <summary>Invites <paramref name="user"/> with the role and projects and accepts as them; returns the member.</summary>
    public static async Task<TestMember> AddMemberAsync(HttpClient inviter, string orgId, TestUser user, string role, params string[] projectIds)
    {
        var invite = await inviter.ApiPostAsync($"orgs/{orgId}/invites", new { email = user.Email, role, projectIds });
        Assert.True(invite.Status == HttpStatusCode.Created, invite.Text);
        var accepted = await user.Client.ApiPostAsync($"invites/{invite.Str("token")}/accept");
        Assert.True(accepted.Status == HttpStatusCode.OK, accepted.Text);
        return new TestMember(user, role, accepted.Str("memberId"));
    }

    /// <summary>Opens a connection to the server's database (for tests that look behind the API), within the call timeout.</summary>
    public static async Task<System.Data.Common.DbConnection> OpenDatabaseAsync(TollgateServer server) =>
        await server.App.Services.GetRequiredService<Tollgate.Storage.Database>().OpenAsync().AsTask().WaitAsync(ApiCalls.Timeout);

    /// <summary>
    /// Adds <paramref name="count"/> members of <paramref name="role"/> to the org straight in the database
    /// (for tests of big orgs), named "<paramref name="namePrefix"/> 001", "... 002" and so on; returns their ids.
    /// </summary>
    public static async Task<IReadOnlyList<string>> InsertMembersAsync(
        System.Data.Common.DbConnection connection, string orgId, int count, string role, string namePrefix)
    {
        var ids = new List<string>(count);
        for (var i = 1; i <= count; i++)
        {
            var suffix = Guid.NewGuid().ToString("N")[..12];
            var (userId, memberId) = ("usr_" + suffix, "mem_" + suffix);
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (@userId, @email, @name, 'x', 0)",
                new { userId, email = $"member-{suffix}@example.test", name = $"{namePrefix} {i:D3}" });
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "INSERT INTO members (id, org_id, user_id, role, created_at, role_since) VALUES (@memberId, @orgId, @userId, @role, 0, 0)",
                new { memberId, orgId, userId, role });
            ids.Add(memberId);
        }

        return ids;
    }

    /// <summary>Creates an active key for the member directly in the store (basic and billing members may not create keys).</summary>
    public static async Task<(string Id, string Secret)> NewKeyAsync(TollgateServer server, string orgId, string projectId, string memberId)
    {
        using var cts = new CancellationTokenSource(ApiCalls.Timeout);
        var (key, secret) = await server.App.Services.GetRequiredService<KeyStore>()
            .CreateAsync(orgId, projectId, memberId, "key-" + memberId[^6..], null, null, cts.Token).WaitAsync(ApiCalls.Timeout);
        return (key!.Id, secret!);
    }

    /// <summary>
    /// A new org with <paramref name="users"/> (from <see cref="NewUsersAsync"/>) as owner, owner2, admin,
    /// billing, developer, basic and target, in that order.
    /// </summary>
    public static async Task<TeamOrg> NewTeamOrgAsync(TollgateServer server, IReadOnlyList<TestUser> users)
    {
        var ownerUser = users[0];
        var orgId = await NewOrgAsync(ownerUser);
        var p = await NewProjectAsync(ownerUser.Client, orgId, "P");
        var q = await NewProjectAsync(ownerUser.Client, orgId, "Q");
        var me = await ownerUser.Client.ApiGetAsync($"orgs/{orgId}/members/me");
        var owner = new TestMember(ownerUser, OrgRoles.Owner, me.Str("memberId"));
        var owner2 = await AddMemberAsync(ownerUser.Client, orgId, users[1], OrgRoles.Owner);
        var admin = await AddMemberAsync(ownerUser.Client, orgId, users[2], OrgRoles.Admin);
        var billing = await AddMemberAsync(ownerUser.Client, orgId, users[3], OrgRoles.Billing);
        var developer = await AddMemberAsync(ownerUser.Client, orgId, users[4], OrgRoles.Developer, p);
        var basic = await AddMemberAsync(ownerUser.Client, orgId, users[5], OrgRoles.Basic, p);
        var target = await AddMemberAsync(ownerUser.Client, orgId, users[6], OrgRoles.Developer, p);
        var keys = new Dictionary<string, string>();
        var secrets = new Dictionary<string, string>();
        foreach (var m in new[] { owner, owner2, admin, billing, developer, basic, target })
        {
            var (id, secret) = await NewKeyAsync(server, orgId, p, m.MemberId);
            keys[m.MemberId] = id;
            secrets[m.MemberId] = secret;
        }

        var invite = await ownerUser.Client.ApiPostAsync($"orgs/{orgId}/invites", new { email = AccountSetup.NewEmail(), role = OrgRoles.Basic, projectIds = new[] { p } });
        Assert.True(invite.Status == HttpStatusCode.Created, invite.Text);
        var purchase = await ownerUser.Client.ApiPostAsync($"orgs/{orgId}/credits/purchase", new { amount = "10" });
        Assert.True(purchase.Status == HttpStatusCode.Created, purchase.Text);
        return new TeamOrg
        {
            OrgId = orgId,
            ProjectP = p,
            ProjectQ = q,
            ByRole = new Dictionary<string, TestMember>
            {
                [OrgRoles.Owner] = owner,
                [OrgRoles.Admin] = admin,
                [OrgRoles.Billing] = billing,
                [OrgRoles.Developer] = developer,
                [OrgRoles.Basic] = basic,
            },
            Owner2 = owner2,
            Target = target,
            KeyOf = keys,
            SecretOf = secrets,
            InviteId = invite.Str("id"),
            PurchaseId = purchase.Str("id"),
        };
    }
}
