using System.Net;
using System.Security.Cryptography;
using Dapper;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.ProviderKeys;

/// <summary><c>/orgs/{orgId}/provider-keys</c>: shapes, validation per field, secrets sealed and never shown.</summary>
public sealed class ProviderKeysApiTests
{
    private const string OpenAISecret = "sk-proj-ThisIsTheOrgsOwnSecretKey-abcd";
    private const string AwsSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// <summary>A service-account key file as Google issues them (the key is generated for the test).</summary>
    private static string ServiceAccountJson()
    {
        using var rsa = RSA.Create(2048);
        return System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "acme-prod",
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "tollgate@acme-prod.iam.gserviceaccount.com",
            ["token_uri"] = "https://oauth2.googleapis.com/token",
        });
    }

    private static async Task<(TollgateServer Server, HttpClient Owner, string OrgId)> StartAsync(DbDialect dialect, Dictionary<string, string?>? settings = null)
    {
        var server = await TollgateServer.StartAsync(dialect, settings);
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        return (server, server.CreateClient(token), orgId);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Create_Read_Rotate_Delete_ShowOnlyTheHint_AndTheDatabaseHoldsNoPlaintext(DbDialect dialect)
    {
        var (server, owner, orgId) = await StartAsync(dialect);
        await using var _ = server;
        using var __ = owner;
        var serviceAccount = ServiceAccountJson();

        var openai = await owner.ApiPostAsync($"orgs/{orgId}/provider-keys", new { provider = "openai", name = "Team OpenAI", apiKey = OpenAISecret });
        var bedrock = await owner.ApiPostAsync($"orgs/{orgId}/provider-keys",
            new { provider = "bedrock", name = "AWS", accessKeyId = "AKIAIOSFODNN7EXAMPLE", secretAccessKey = AwsSecret, region = "us-east-1" });
        var vertex = await owner.ApiPostAsync($"orgs/{orgId}/provider-keys",
            new { provider = "vertex", name = "GCP", serviceAccountJson = serviceAccount, location = "global" });

        Assert.Equal(HttpStatusCode.Created, openai.Status);
        Assert.Equal(HttpStatusCode.Created, bedrock.Status);
        Assert.Equal(HttpStatusCode.Created, vertex.Status);
        Assert.Equal("sk-…abcd", openai.Str("hint"));
        Assert.Equal("openai", openai.Str("provider"));
        Assert.Equal("Team OpenAI", openai.Str("name"));
        Assert.Equal("AKIA…MPLE", bedrock.Str("hint"));
        Assert.Equal("us-east-1", bedrock.Str("region"));
        Assert.Equal("acme-prod", vertex.Str("projectId")); // taken from the key file when not given
        Assert.Equal("global", vertex.Str("location"));
        Assert.Equal("tollgate@acme-prod.iam.gserviceaccount.com", vertex.Str("hint"));

        var list = await owner.ApiGetAsync($"orgs/{orgId}/provider-keys");
        var one = await owner.ApiGetAsync($"orgs/{orgId}/provider-keys/{openai.Str("id")}");
        var rotated = await owner.ApiPatchAsync($"orgs/{orgId}/provider-keys/{openai.Str("id")}", new { apiKey = "sk-proj-TheRotatedSecretOfTheOrg-wxyz" });
        var audit = await owner.ApiGetAsync($"orgs/{orgId}/audit-logs");

        Assert.Equal(3, list.Body.GetProperty("data").GetArrayLength());
        Assert.Equal("sk-…abcd", one.Str("hint"));
        Assert.Equal(HttpStatusCode.OK, rotated.Status);
        Assert.Equal("sk-…wxyz", rotated.Str("hint"));
        var shown = string.Join("\n", openai.Text, bedrock.Text, vertex.Text, list.Text, one.Text, rotated.Text, audit.Text);
        foreach (var secret in new[] { OpenAISecret, "TheRotatedSecretOfTheOrg", AwsSecret, "PRIVATE KEY", "apiKey\":\"sk" })
        {
            Assert.DoesNotContain(secret, shown, StringComparison.Ordinal);
        }

        Assert.Contains("provider_key.create", audit.Text, StringComparison.Ordinal);
        Assert.Contains("provider_key.rotate", audit.Text, StringComparison.Ordinal);

        // A dump of the table shows no secret: only the sealed values.
        await using (var connection = await server.App.Services.GetRequiredService<Database>().OpenAsync())
        {
            var rows = (await connection.QueryAsync("SELECT * FROM org_provider_keys")).Cast<IDictionary<string, object?>>().ToList();
            Assert.Equal(3, rows.Count);
            var dump = string.Join("\n", rows.SelectMany(r => r.Values).Select(v => v?.ToString()));
            foreach (var secret in new[] { "ThisIsTheOrgsOwnSecretKey", "TheRotatedSecretOfTheOrg", AwsSecret, "PRIVATE KEY", "AKIAIOSFODNN7EXAMPLE" })
            {
                Assert.DoesNotContain(secret, dump, StringComparison.Ordinal);
            }
        }

        var deleted = await owner.ApiDeleteAsync($"orgs/{orgId}/provider-keys/{openai.Str("id")}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.ApiGetAsync($"orgs/{orgId}/provider-keys/{openai.Str("id")}")).Status);
    }

    [Fact]
    public async Task Create_InvalidInput_Is400NamingEachField()
    {
        var (server, owner, orgId) = await StartAsync(DbDialect.Sqlite);
        await using var _ = server;
        using var __ = owner;
        var path = $"orgs/{orgId}/provider-keys";

        var unknown = await owner.ApiPostAsync(path, new { provider = "nope", name = "x", apiKey = OpenAISecret });
        var noKey = await owner.ApiPostAsync(path, new { provider = "openai", name = "x" });
        var bedrockParts = await owner.ApiPostAsync(path, new { provider = "bedrock", name = "x", accessKeyId = "AKIAIOSFODNN7EXAMPLE" });
        var badRegion = await owner.ApiPostAsync(path, new { provider = "bedrock", name = "x", accessKeyId = "AKIAIOSFODNN7EXAMPLE", secretAccessKey = AwsSecret, region = "mars" });
        var badJson = await owner.ApiPostAsync(path, new { provider = "vertex", name = "x", serviceAccountJson = "{not json", projectId = "p", location = "us-central1" });
        var notServiceAccount = await owner.ApiPostAsync(path, new { provider = "vertex", name = "x", serviceAccountJson = """{"type":"authorized_user"}""", projectId = "p", location = "us-central1" });
        var wrongPart = await owner.ApiPostAsync(path, new { provider = "anthropic", name = "x", apiKey = OpenAISecret, region = "us-east-1" });
        var noName = await owner.ApiPostAsync(path, new { provider = "openai", apiKey = OpenAISecret });
        var badUrl = await owner.ApiPostAsync(path, new { provider = "openai", name = "x", apiKey = OpenAISecret, baseUrl = "ftp://example.com" });

        Assert.All([unknown, noKey, bedrockParts, badRegion, badJson, notServiceAccount, wrongPart, noName, badUrl], r => Assert.Equal(HttpStatusCode.BadRequest, r.Status));
        Assert.Equal(["provider"], unknown.ErrorFields);
        Assert.Equal(["apiKey"], noKey.ErrorFields);
        Assert.Equal(["secretAccessKey", "region"], bedrockParts.ErrorFields);
        Assert.Equal(["region"], badRegion.ErrorFields);
        Assert.Equal(["serviceAccountJson"], badJson.ErrorFields);
        Assert.Contains("not valid JSON", badJson.Text, StringComparison.Ordinal);
        Assert.Equal(["serviceAccountJson"], notServiceAccount.ErrorFields);
        Assert.Equal(["region"], wrongPart.ErrorFields);
        Assert.Contains("does not apply to anthropic", wrongPart.Text, StringComparison.Ordinal);
        Assert.Equal(["name"], noName.ErrorFields);
        Assert.Equal(["baseUrl"], badUrl.ErrorFields);
        Assert.Empty((await owner.ApiGetAsync(path)).Body.GetProperty("data").EnumerateArray());
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/v1")]
    [InlineData("http://169.254.169.254/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://localhost:{port}/v1")]
    [InlineData("http://10.0.0.8/v1")]
    [InlineData("http://[fd00::1]/v1")]
    [InlineData("http://[::ffff:127.0.0.1]/v1")]
    public async Task Create_BaseUrlOnTheServersNetwork_Is400(string url)
    {
        var (server, owner, orgId) = await StartAsync(DbDialect.Sqlite);
        await using var _ = server;
        using var __ = owner;

        var answer = await owner.ApiPostAsync($"orgs/{orgId}/provider-keys",
            new { provider = "openai", name = "ssrf", apiKey = OpenAISecret, baseUrl = url.Replace("{port}", server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) });

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(["baseUrl"], answer.ErrorFields);
        Assert.Contains("private", answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patch_CannotChangeProvider_AndUnknownIdIs404()
    {
        var (server, owner, orgId) = await StartAsync(DbDialect.Sqlite);
        await using var _ = server;
        using var __ = owner;
        var created = await owner.ApiPostAsync($"orgs/{orgId}/provider-keys", new { provider = "openai", name = "a", apiKey = OpenAISecret });

        var moved = await owner.ApiPatchAsync($"orgs/{orgId}/provider-keys/{created.Str("id")}", new { provider = "anthropic" });
        var renamed = await owner.ApiPatchAsync($"orgs/{orgId}/provider-keys/{created.Str("id")}", new { name = "b" });
        var unknown = await owner.ApiPatchAsync($"orgs/{orgId}/provider-keys/pk_unknown", new { name = "b" });

        Assert.Equal(HttpStatusCode.BadRequest, moved.Status);
        Assert.Equal(["provider"], moved.ErrorFields);
        Assert.Equal(HttpStatusCode.OK, renamed.Status);
        Assert.Equal("b", renamed.Str("name"));
        Assert.Equal("sk-…abcd", renamed.Str("hint")); // the secret is kept
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
    }
}
