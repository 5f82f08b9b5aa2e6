using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Accounts;

public sealed class ApiKeysTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task CreateKey_SecretShownOnce_StoredOnlyAsHash(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, projectId, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        var memberId = (await client.ApiGetAsync("me")).Body.GetProperty("memberships")[0].GetProperty("memberId").GetString();

        var created = await client.ApiPostAsync($"orgs/{orgId}/keys", new
        {
            projectId,
            name = "CI",
            expiresAt = "2099-01-02T03:04:05.678Z",
            budget = new { spend = new { type = "fixed", limit = "10" } },
        });

        Assert.Equal(HttpStatusCode.Created, created.Status);
        var keyId = created.Str("id");
        var secret = created.Str("key");
        Assert.StartsWith("key_", keyId, StringComparison.Ordinal);
        Assert.Matches("^tgk_[0-9A-Za-z]{40}$", secret);
        Assert.Equal(secret[..12], created.Str("prefix"));
        Assert.Equal("CI", created.Str("name"));
        Assert.Equal(projectId, created.Str("projectId"));
        Assert.Equal(memberId, created.Str("memberId"));
        Assert.Equal("active", created.Str("status"));
        Assert.Equal("2099-01-02T03:04:05.678Z", created.Str("expiresAt"));
        Assert.Matches(ApiCalls.TimePattern, created.Str("createdAt"));

        var fetched = await client.ApiGetAsync($"orgs/{orgId}/keys/{keyId}");
        var list = await client.ApiGetAsync($"orgs/{orgId}/keys");
        Assert.Equal(HttpStatusCode.OK, fetched.Status);
        Assert.False(fetched.Body.TryGetProperty("key", out _));
        Assert.Equal(created.Str("prefix"), fetched.Str("prefix"));
        Assert.Equal(2, list.Body.GetProperty("data").GetArrayLength());
        Assert.DoesNotContain(secret, list.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[12..], fetched.Text, StringComparison.Ordinal);

        var database = server.App.Services.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync();
        var row = (IDictionary<string, object?>)await connection.QuerySingleAsync("SELECT * FROM api_keys WHERE id = @keyId", new { keyId });
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))), row["key_hash"]);
        Assert.DoesNotContain(row.Values, v => v is string s && s.Contains(secret[12..], StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Authenticate_NewKey_AcceptedAsBearerAndXApiKey(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, projectId, keyId, key) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        var memberId = (await client.ApiGetAsync("me")).Body.GetProperty("memberships")[0].GetProperty("memberId").GetString();

        var bearer = await ApiCalls.AuthenticateBearerAsync(server, key);
        var cached = await ApiCalls.AuthenticateBearerAsync(server, key);
        var xApiKey = await ApiCalls.AuthenticateAsync(server, "x-api-key", key);

        foreach (var result in new[] { bearer, cached, xApiKey })
        {
            Assert.Equal(KeyAuthFailure.None, result.Failure);
            Assert.Equal(new KeyIdentity(keyId, "Test Key", orgId, projectId, memberId!), result.Identity);
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Authenticate_BadCredentials_RefusedWithExactMessages(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, _, _, _, key) = await AccountSetup.CreateOrgWithKeyAsync(server);

        var missing = await ApiCalls.AuthenticateAsync(server, null, null);
        var emptyBearer = await ApiCalls.AuthenticateAsync(server, "Authorization", "Bearer ");
        var unknown = await ApiCalls.AuthenticateBearerAsync(server, "tgk_" + new string('x', 40));
        var unknownTwice = await ApiCalls.AuthenticateBearerAsync(server, "tgk_" + new string('x', 40));
        var malformed = await ApiCalls.AuthenticateBearerAsync(server, key + "x");
        var foreign = await ApiCalls.AuthenticateBearerAsync(server, "sk-proj-abc");
        var session = await ApiCalls.AuthenticateBearerAsync(server, token);
        var sessionAsXApiKey = await ApiCalls.AuthenticateAsync(server, "x-api-key", token);
        var master = await ApiCalls.AuthenticateBearerAsync(server, "tgm_" + new string('m', 40));

        AssertRefused(missing, KeyAuthFailure.Missing, "Missing API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.");
        AssertRefused(emptyBearer, KeyAuthFailure.Missing, "Missing API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.");
        foreach (var result in new[] { unknown, unknownTwice, malformed, foreign })
        {
            AssertRefused(result, KeyAuthFailure.Unknown, "Invalid API key.");
        }

        foreach (var result in new[] { session, sessionAsXApiKey, master })
        {
            AssertRefused(result, KeyAuthFailure.WrongKind, "This credential is not an API key; the gateway accepts API keys only.");
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Authenticate_DisableEnableDelete_TakesEffectAtOnce(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, _, keyId, key) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        Assert.True((await ApiCalls.AuthenticateBearerAsync(server, key)).Succeeded); // now cached

        var disabled = await client.ApiPatchAsync($"orgs/{orgId}/keys/{keyId}", new { status = "disabled" });
        Assert.Equal("disabled", disabled.Str("status"));
        AssertRefused(await ApiCalls.AuthenticateBearerAsync(server, key), KeyAuthFailure.Disabled, "API key is disabled.");

        var enabled = await client.ApiPatchAsync($"orgs/{orgId}/keys/{keyId}", new { status = "active", name = "Renamed" });
        Assert.Equal("active", enabled.Str("status"));
        var accepted = await ApiCalls.AuthenticateBearerAsync(server, key);
        Assert.True(accepted.Succeeded);
        Assert.Equal("Renamed", accepted.Identity!.KeyName);

        var deleted = await client.ApiDeleteAsync($"orgs/{orgId}/keys/{keyId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        AssertRefused(await ApiCalls.AuthenticateBearerAsync(server, key), KeyAuthFailure.Deleted, "API key has been deleted.");

        var afterDelete = await client.ApiGetAsync($"orgs/{orgId}/keys/{keyId}");
        Assert.Equal("deleted", afterDelete.Str("status"));
        Assert.Equal(HttpStatusCode.NoContent, (await client.ApiDeleteAsync($"orgs/{orgId}/keys/{keyId}")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await client.ApiPatchAsync($"orgs/{orgId}/keys/{keyId}", new { status = "active" })).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await client.ApiPostAsync($"orgs/{orgId}/keys/{keyId}/rotate")).Status);
        AssertRefused(await ApiCalls.AuthenticateBearerAsync(server, key), KeyAuthFailure.Deleted, "API key has been deleted.");
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Authenticate_ChangeMadeByAnotherNode_SeenWithinCacheTtl(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (_, _, _, keyId, key) = await AccountSetup.CreateOrgWithKeyAsync(server);
        Assert.True((await ApiCalls.AuthenticateBearerAsync(server, key)).Succeeded); // now cached
        var database = server.App.Services.GetRequiredService<Database>();

        // Another node disables the key: only the database changes, this node's cache does not hear of it.
        await using (var connection = await database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE api_keys SET status = 'disabled' WHERE id = @keyId", new { keyId });
        }

        var stale = await ApiCalls.AuthenticateBearerAsync(server, key);
        await Task.Delay(ApiKeyAuthenticator.CacheTtl + TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        var fresh = await ApiCalls.AuthenticateBearerAsync(server, key);

        Assert.True(stale.Succeeded);
        AssertRefused(fresh, KeyAuthFailure.Disabled, "API key is disabled.");
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Authenticate_MemberRemoved_DisabledAtOnce(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (_, _, _, _, key) = await AccountSetup.CreateOrgWithKeyAsync(server);
        var accepted = await ApiCalls.AuthenticateBearerAsync(server, key); // now cached
        var database = server.App.Services.GetRequiredService<Database>();

        // Member removal comes with the members API; until then, remove in the database and invalidate as it will.
        await using (var connection = await database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE members SET removed_at = 1 WHERE id = @MemberId", new { accepted.Identity!.MemberId });
        }

        server.App.Services.GetRequiredService<ApiKeyAuthenticator>().InvalidateMember(accepted.Identity.MemberId);

        AssertRefused(await ApiCalls.AuthenticateBearerAsync(server, key), KeyAuthFailure.Disabled, "API key is disabled.");
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Rotate_ActiveKey_NewSecretWorksOldStopsAtOnce(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, _, keyId, oldKey) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        Assert.True((await ApiCalls.AuthenticateBearerAsync(server, oldKey)).Succeeded); // now cached

        var rotated = await client.ApiPostAsync($"orgs/{orgId}/keys/{keyId}/rotate");

        Assert.Equal(HttpStatusCode.OK, rotated.Status);
        var newKey = rotated.Str("key");
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(keyId, rotated.Str("id"));
        Assert.Equal(newKey[..12], rotated.Str("prefix"));
        AssertRefused(await ApiCalls.AuthenticateBearerAsync(server, oldKey), KeyAuthFailure.Unknown, "Invalid API key.");
        var accepted = await ApiCalls.AuthenticateBearerAsync(server, newKey);
        Assert.True(accepted.Succeeded);
        Assert.Equal(keyId, accepted.Identity!.KeyId);
        Assert.Equal(newKey[..12], (await client.ApiGetAsync($"orgs/{orgId}/keys/{keyId}")).Str("prefix"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Authenticate_PastExpiry_ExpiredAndListedAsExpired(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, _, keyId, key) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        // Expiry cannot be set in the past through the API; move it there in the database.
        var database = server.App.Services.GetRequiredService<Database>();
        await using (var connection = await database.OpenAsync())
        {
            var past = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();
            await connection.ExecuteAsync("UPDATE api_keys SET expires_at = @past WHERE id = @keyId", new { past, keyId });
        }

        var auth = await ApiCalls.AuthenticateBearerAsync(server, key);
        var fetched = await client.ApiGetAsync($"orgs/{orgId}/keys/{keyId}");
        var expiredList = await client.ApiGetAsync($"orgs/{orgId}/keys?status=expired");
        var activeList = await client.ApiGetAsync($"orgs/{orgId}/keys?status=active");

        AssertRefused(auth, KeyAuthFailure.Expired, "API key has expired.");
        Assert.Equal("expired", fetched.Str("status"));
        Assert.Equal([keyId], Ids(expiredList));
        Assert.Empty(Ids(activeList));

        // Clearing the expiry brings it back at once.
        var cleared = await client.ApiPatchAsync($"orgs/{orgId}/keys/{keyId}", new { expiresAt = (string?)null });
        Assert.Equal("active", cleared.Str("status"));
        Assert.Equal(JsonValueKind.Null, cleared.Body.GetProperty("expiresAt").ValueKind);
        Assert.True((await ApiCalls.AuthenticateBearerAsync(server, key)).Succeeded);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task ListKeys_Filters_ByProjectMemberAndStatus(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, projectA, keyA, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        var memberId = (await client.ApiGetAsync("me")).Body.GetProperty("memberships")[0].GetProperty("memberId").GetString();
        var projectB = (await client.ApiPostAsync($"orgs/{orgId}/projects", new { name = "B" })).Str("id");
        var keyB = (await client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = projectB, name = "b" })).Str("id");
        var keyC = (await client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = projectB, name = "c" })).Str("id");
        await client.ApiPatchAsync($"orgs/{orgId}/keys/{keyC}", new { status = "disabled" });

        Assert.Equal([keyA], Ids(await client.ApiGetAsync($"orgs/{orgId}/keys?projectId={projectA}")));
        Assert.Equal(Sorted(keyB, keyC), Ids(await client.ApiGetAsync($"orgs/{orgId}/keys?projectId={projectB}")));
        Assert.Equal(Sorted(keyA, keyB), Ids(await client.ApiGetAsync($"orgs/{orgId}/keys?status=active")));
        Assert.Equal([keyC], Ids(await client.ApiGetAsync($"orgs/{orgId}/keys?status=disabled")));
        Assert.Empty(Ids(await client.ApiGetAsync($"orgs/{orgId}/keys?status=deleted")));
        Assert.Equal(Sorted(keyA, keyB, keyC), Ids(await client.ApiGetAsync($"orgs/{orgId}/keys?memberId={memberId}")));
        Assert.Empty(Ids(await client.ApiGetAsync($"orgs/{orgId}/keys?memberId=mem_nobody")));
        var page = await client.ApiGetAsync($"orgs/{orgId}/keys?limit=2");
        Assert.Equal(Sorted(keyA, keyB, keyC)[..2], Ids(page));
        Assert.Equal(Sorted(keyA, keyB, keyC)[2..], Ids(await client.ApiGetAsync($"orgs/{orgId}/keys?limit=2&cursor={page.Str("nextCursor")}")));
        var badStatus = await client.ApiGetAsync($"orgs/{orgId}/keys?status=sleeping");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.Status);
        Assert.Equal(["status"], badStatus.ErrorFields);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task CreateAndPatchKey_BadInput_400WithErrors(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        var (token, orgId, projectId, keyId, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);

        var noFields = await client.ApiPostAsync($"orgs/{orgId}/keys", new { });
        var pastExpiry = await client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId, name = "k", expiresAt = "2001-01-01T00:00:00Z" });
        var noOffset = await client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId, name = "k", expiresAt = "2099-01-01T00:00:00" });
        var unknownProject = await client.ApiPostAsync($"orgs/{orgId}/keys", new { projectId = "prj_nope", name = "k" });
        var badPatch = await client.ApiPatchAsync($"orgs/{orgId}/keys/{keyId}", new { status = "deleted", name = "", expiresAt = 5 });
        var unknownKey = await client.ApiPatchAsync($"orgs/{orgId}/keys/key_nope", new { name = "x" });

        Assert.Equal(HttpStatusCode.BadRequest, noFields.Status);
        Assert.Equal(["name", "projectId"], noFields.ErrorFields.Order(StringComparer.Ordinal));
        Assert.Equal(["expiresAt"], pastExpiry.ErrorFields);
        Assert.Equal(["expiresAt"], noOffset.ErrorFields);
        Assert.Equal(HttpStatusCode.NotFound, unknownProject.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badPatch.Status);
        Assert.Equal(["expiresAt", "name", "status"], badPatch.ErrorFields.Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, unknownKey.Status);
        Assert.Equal("active", (await client.ApiGetAsync($"orgs/{orgId}/keys/{keyId}")).Str("status"));
    }

    private static void AssertRefused(KeyAuthResult result, KeyAuthFailure failure, string message)
    {
        Assert.Equal(failure, result.Failure);
        Assert.Equal(message, result.Message);
        Assert.Null(result.Identity);
    }

    // Ids are ordered by creation time to the millisecond; within one millisecond, by chance.
    private static List<string?> Sorted(params string[] ids) => [.. ids.Order(StringComparer.Ordinal)];

    private static List<string?> Ids(ApiResponse list) =>
        [.. list.Body.GetProperty("data").EnumerateArray().Select(k => k.GetProperty("id").GetString())];
}
