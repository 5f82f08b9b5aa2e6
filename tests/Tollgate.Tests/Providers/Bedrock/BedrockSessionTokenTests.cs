using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Configuration;
using Tollgate.FakeProviders;
using Tollgate.Providers;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Providers.Bedrock;

/// <summary>
/// Temporary AWS credentials (access key, secret and session token from AWS STS): the token is signed
/// into every Bedrock request as <c>x-amz-security-token</c>, from the server's configuration or an
/// org's own provider key; the fake refuses a request without it or with another one, as AWS does.
/// </summary>
public sealed class BedrockSessionTokenTests
{
    private static readonly FakeOptions Known = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Temporary(string? token) => new()
    {
        ["Tollgate:Providers:bedrock:AccessKeyId"] = Known.BedrockSessionAccessKeyId,
        ["Tollgate:Providers:bedrock:SecretAccessKey"] = Known.BedrockSessionSecretAccessKey,
        ["Tollgate:Providers:bedrock:SessionToken"] = token,
    };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServerSessionToken_IsSentAsASignedHeader_AndTheFakeAnswers(bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync(settings: Temporary(Known.BedrockSessionToken));
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions",
            GatewayTestHost.ChatBody("bedrock-test-global", "Hi fake:chunks=2", stream: stream, includeUsage: stream), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Contains("tok1", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Known.BedrockSessionToken, text, StringComparison.Ordinal);
        var upstream = host.Fake.Requests[^1];
        Assert.Equal(Known.BedrockSessionToken, upstream.Header("x-amz-security-token"));
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={Known.BedrockSessionAccessKeyId}/", upstream.Authorization, StringComparison.Ordinal);
        Assert.Contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=", upstream.Authorization, StringComparison.Ordinal);
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal(("ok", 2L), (row.Status, row.OutputTokens));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("IQoJb3JpZ2luX2VjEAnotTheIssuedToken/=")]
    public async Task SessionToken_MissingOrNotTheIssuedOne_Is403UnrecognizedClient_NotCharged(string? token)
    {
        await using var host = await GatewayTestHost.StartAsync(settings: Temporary(token));
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("bedrock-test-global", "Hi"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("UnrecognizedClientException", error.GetProperty("code").GetString());
        Assert.EndsWith("The security token included in the request is invalid.", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(token is not null, host.Fake.Requests[^1].Header("x-amz-security-token") is not null);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((403L, 0L), (row.HttpStatus, row.CostPico));
    }

    [Fact]
    public void ServerSessionToken_IsAmongTheSecretsScrubbedFromAnswersAndLogs()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tollgate:Providers:bedrock:AccessKeyId"] = "ASIAEXAMPLETEMPORARY",
            ["Tollgate:Providers:bedrock:SecretAccessKey"] = "temporary-secret",
            ["Tollgate:Providers:bedrock:SessionToken"] = "the-session-token",
        }).Build();
        using var directory = new ProviderDirectory(configuration, demo: false);

        var bedrock = directory.Get("bedrock")!;

        Assert.Equal("the-session-token", bedrock.SessionToken);
        Assert.Contains("the-session-token", bedrock.Secrets());
        Assert.Contains("temporary-secret", bedrock.Secrets());
        Assert.Null(directory.Get("openai")!.SessionToken);
    }

    [Fact]
    public async Task OrgKey_WithSessionToken_SignsWithIt_NeverShowsIt_AndANewAccessKeyDropsIt()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Providers:AllowPrivateBaseUrls"] = "true" });
        using var owner = host.Server.CreateClient(host.Token);
        using var client = host.GatewayClient();
        var created = await owner.ApiPostAsync($"orgs/{host.OrgId}/provider-keys", new
        {
            provider = "bedrock", name = "AWS role", accessKeyId = Known.BedrockSessionAccessKeyId,
            secretAccessKey = Known.BedrockSessionSecretAccessKey, sessionToken = Known.BedrockSessionToken, region = "us-west-2",
        });
        Assert.Equal(HttpStatusCode.Created, created.Status);

        var withToken = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("bedrock-test-global", "Hi"), Ct);
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        Assert.Equal(Known.BedrockSessionToken, host.Fake.Requests[^1].Header("x-amz-security-token"));

        // Long-term keys replace the temporary ones: the stored token goes with the old key pair.
        var rotated = await owner.ApiPatchAsync($"orgs/{host.OrgId}/provider-keys/{created.Str("id")}",
            new { accessKeyId = Known.BedrockAccessKeyId, secretAccessKey = Known.BedrockSecretAccessKey });
        Assert.Equal(HttpStatusCode.OK, rotated.Status);
        var after = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("bedrock-test-global", "Hi"), Ct);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={Known.BedrockAccessKeyId}/", host.Fake.Requests[^1].Authorization, StringComparison.Ordinal);
        Assert.Null(host.Fake.Requests[^1].Header("x-amz-security-token"));

        var list = await owner.ApiGetAsync($"orgs/{host.OrgId}/provider-keys");
        var shown = string.Join("\n", created.Text, rotated.Text, list.Text, (await owner.ApiGetAsync($"orgs/{host.OrgId}/audit-logs")).Text);
        Assert.DoesNotContain(Known.BedrockSessionToken, shown, StringComparison.Ordinal);
        Assert.DoesNotContain("sessionToken", shown, StringComparison.Ordinal);
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        var dump = string.Join("\n", (await connection.QueryAsync("SELECT * FROM org_provider_keys")).Cast<IDictionary<string, object?>>()
            .SelectMany(r => r.Values).Select(v => v?.ToString()));
        Assert.DoesNotContain(Known.BedrockSessionToken, dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrgKey_SessionTokenForAProviderWithoutOne_Is400NamingTheField()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var owner = host.Server.CreateClient(host.Token);

        var answer = await owner.ApiPostAsync($"orgs/{host.OrgId}/provider-keys",
            new { provider = "openai", name = "x", apiKey = "sk-proj-aaaaaaaaaaaaaaaaaaaa", sessionToken = "tok" });

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(["sessionToken"], answer.ErrorFields);
    }
}
