using System.Text.Json;
using Dapper;
using Tollgate.FakeProviders;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Gateway;

/// <summary>One ledger row as tests read it.</summary>
public sealed record LedgerRow(
    string RequestId, long Attempt, string Model, string Provider, string ProviderModel, string Status, long HttpStatus,
    long InputTokens, long CachedInputTokens, long OutputTokens, long ReasoningTokens, long CostPico,
    bool UsageEstimated, bool Streamed, bool Cancelled, string KeyId, string MemberId, string ProjectId, string OrgId)
{
    /// <summary>The endpoint that made the row (<c>chat.completions</c>, <c>messages</c>, <c>responses</c>).</summary>
    public string Endpoint { get; init; } = "";
}

/// <summary>
/// A fake provider and a Tollgate server routed to it through a test catalog, plus an org, a
/// project and an API key. Each test starts its own.
/// </summary>
public sealed class GatewayTestHost : IAsyncDisposable
{
    /// <summary>The test catalog: prices are chosen so costs are easy to compute by hand.</summary>
    public const string CatalogJson = """
        {"models":[
          {"id":"fake-model","name":"Fake model","kind":"chat","contextWindow":100000,"maxOutputTokens":1000,
           "providers":[{"provider":"openai","providerModelId":"fake-upstream-model",
             "prices":[{"inputPerMillion":"2.5","outputPerMillion":"10","cachedInputPerMillion":"1.25"}]}]},
          {"id":"fallback-model","name":"Fallback model","kind":"chat","maxOutputTokens":1000,
           "providers":[
             {"provider":"primary","providerModelId":"p-model","prices":[{"inputPerMillion":"1","outputPerMillion":"1"}]},
             {"provider":"secondary","providerModelId":"s-model","prices":[{"inputPerMillion":"3","outputPerMillion":"3"}]}]},
          {"id":"scheduled-model","name":"Scheduled model","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"openai","providerModelId":"sched",
             "prices":[
               {"effectiveFrom":null,"effectiveUntil":"2026-09-01T00:00:00Z","inputPerMillion":"2","outputPerMillion":"10"},
               {"effectiveFrom":"2026-09-01T00:00:00Z","effectiveUntil":null,"inputPerMillion":"3","outputPerMillion":"15"}]}]},
          {"id":"tiered-model","name":"Tiered model","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"openai","providerModelId":"tiered-upstream",
             "prices":[{"inputPerMillion":"1","outputPerMillion":"1","tiers":[{"aboveInputTokens":1000,"inputPerMillion":"100","outputPerMillion":"100"}]}]}]},
          {"id":"request-priced-model","name":"Per-request only","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"openai","providerModelId":"rp","prices":[{"perRequest":"0.01"}]}]},
          {"id":"suspended-model","name":"Suspended","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"openai","providerModelId":"sus","availability":[{"from":"2020-01-01T00:00:00Z","until":"2020-02-01T00:00:00Z"}],
             "prices":[{"inputPerMillion":"1","outputPerMillion":"1"}]}]},
          {"id":"claude-test","name":"Claude test","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"anthropic","providerModelId":"claude-upstream",
             "prices":[{"inputPerMillion":"3","outputPerMillion":"15","cachedInputPerMillion":"0.3","cacheWritePerMillion":"3.75"}]}]},
          {"id":"claude-agent","name":"Claude for coding agents (their output limits are large)","kind":"chat","contextWindow":200000,"maxOutputTokens":64000,
           "providers":[{"provider":"anthropic","providerModelId":"claude-upstream",
             "prices":[{"inputPerMillion":"3","outputPerMillion":"15","cachedInputPerMillion":"0.3","cacheWritePerMillion":"3.75"}]}]},
          {"id":"codex-agent","name":"Responses model for coding agents","kind":"chat","contextWindow":400000,"maxOutputTokens":128000,
           "providers":[{"provider":"openai","providerModelId":"fake-upstream-model",
             "prices":[{"inputPerMillion":"1.25","outputPerMillion":"10","cachedInputPerMillion":"0.125"}]}]},
          {"id":"embed-model","name":"Embeddings","kind":"embedding",
           "providers":[{"provider":"openai","providerModelId":"emb","prices":[{"inputPerMillion":"0.02"}]}]},
          {"id":"bedrock-test-global","name":"Bedrock test (global inference profile)","kind":"chat","contextWindow":200000,"maxOutputTokens":1000,
           "providers":[{"provider":"bedrock","providerModelId":"global.anthropic.claude-test-v1:0",
             "prices":[{"inputPerMillion":"3","outputPerMillion":"15","cachedInputPerMillion":"0.3","cacheWritePerMillion":"3.75"}]}]},
          {"id":"bedrock-test-us","name":"Bedrock test (US inference profile)","kind":"chat","contextWindow":200000,"maxOutputTokens":1000,
           "providers":[{"provider":"bedrock","providerModelId":"us.anthropic.claude-test-v1:0",
             "prices":[{"inputPerMillion":"3.3","outputPerMillion":"16.5","cachedInputPerMillion":"0.33","cacheWritePerMillion":"4.125"}]}]},
          {"id":"gemini-test","name":"Gemini on AI Studio","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"google","providerModelId":"gemini-upstream",
             "prices":[{"inputPerMillion":"2","outputPerMillion":"8","cachedInputPerMillion":"0.5"}]}]},
          {"id":"gemini-vertex-test","name":"Gemini on Vertex","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"vertex","providerModelId":"gemini-vertex-upstream",
             "prices":[{"inputPerMillion":"2","outputPerMillion":"8","cachedInputPerMillion":"0.5"}]}]},
          {"id":"claude-vertex-test","name":"Claude on Vertex","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"vertex","providerModelId":"claude-vertex-upstream",
             "prices":[{"inputPerMillion":"3","outputPerMillion":"15","cachedInputPerMillion":"0.3","cacheWritePerMillion":"3.75"}]}]},
          {"id":"routing-cheapest","name":"Routing: the dearer mapping is listed first","kind":"chat","maxOutputTokens":1000,
           "providers":[
             {"provider":"secondary","providerModelId":"s-dear","prices":[{"inputPerMillion":"3","outputPerMillion":"3"}]},
             {"provider":"primary","providerModelId":"p-cheap","prices":[{"inputPerMillion":"1","outputPerMillion":"1"}]}]},
          {"id":"routing-window","name":"Routing: the cheap mapping is suspended for two weeks of June","kind":"chat","maxOutputTokens":1000,
           "providers":[
             {"provider":"primary","providerModelId":"p-window","availability":[{"from":null,"until":"2026-06-01T00:00:00Z"},{"from":"2026-06-15T00:00:00Z","until":null}],
              "prices":[{"inputPerMillion":"1","outputPerMillion":"1"}]},
             {"provider":"secondary","providerModelId":"s-window","prices":[{"inputPerMillion":"3","outputPerMillion":"3"}]}]},
          {"id":"byok-groq","name":"BYOK: a provider the server has no key for","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"groq","providerModelId":"groq-upstream","prices":[{"inputPerMillion":"1","outputPerMillion":"2"}]}]},
          {"id":"mistral-test","name":"Mistral dialect","kind":"chat","maxOutputTokens":1000,
           "providers":[{"provider":"mistral","providerModelId":"mistral-small-latest","prices":[{"inputPerMillion":"0.1","outputPerMillion":"0.3"}]}]},
          {"id":"mod-embed","name":"Modalities: embeddings","kind":"embedding",
           "providers":[{"provider":"openai","providerModelId":"mod-upstream-embed","prices":[{"inputPerMillion":"0.1"}]}]},
          {"id":"mod-tts","name":"Modalities: speech per character","kind":"speech",
           "providers":[{"provider":"openai","providerModelId":"mod-upstream-tts","prices":[{"speechPerMillionCharacters":"15"}]}]},
          {"id":"mod-whisper","name":"Modalities: transcription per minute","kind":"transcription",
           "providers":[{"provider":"openai","providerModelId":"mod-upstream-whisper","prices":[{"perAudioMinute":"0.006"}]}]},
          {"id":"mod-transcribe-tokens","name":"Modalities: transcription per token","kind":"transcription","maxOutputTokens":2000,
           "providers":[{"provider":"openai","providerModelId":"mod-upstream-transcribe","prices":[{"inputPerMillion":"2.5","outputPerMillion":"10"}]}]},
          {"id":"mod-image","name":"Modalities: image per size and quality","kind":"image",
           "providers":[{"provider":"openai","providerModelId":"mod-upstream-image",
             "prices":[{"perImageVariants":{"1024x1024/low":"0.011","1024x1024/high":"0.167","1024x1024/hd":"0.08","1536x1024/hd":"0.12"}}]}]},
          {"id":"mod-image-tokens","name":"Modalities: image per token","kind":"image",
           "providers":[{"provider":"openai","providerModelId":"mod-upstream-image-tokens","prices":[{"inputPerMillion":"5","outputPerMillion":"40"}]}]},
          {"id":"mod-ocr","name":"Modalities: OCR per page","kind":"ocr",
           "providers":[{"provider":"mistral","providerModelId":"mod-upstream-ocr","prices":[{"perOcrPage":"0.001"}]}]},
          {"id":"gemini-image-test","name":"Gemini image on AI Studio, per image","kind":"image",
           "providers":[{"provider":"google","providerModelId":"gemini-image-upstream","prices":[{"inputPerMillion":"0.25","outputPerMillion":"1.5","perImage":"0.034"}]}]},
          {"id":"gemini-image-vertex-test","name":"Gemini image on Vertex, per image","kind":"image",
           "providers":[{"provider":"vertex","providerModelId":"gemini-image-vertex-upstream","prices":[{"inputPerMillion":"0.25","outputPerMillion":"1.5","perImage":"0.034"}]}]},
          {"id":"gemini-image-tokens-test","name":"Gemini image on AI Studio, by image tokens","kind":"image",
           "providers":[{"provider":"google","providerModelId":"gemini-image-upstream","prices":[{"inputPerMillion":"0.3","outputPerMillion":"30"}]}]},
          {"id":"mod-video","name":"Videos: per second by size","kind":"video",
           "providers":[{"provider":"openai","providerModelId":"mod-upstream-video",
             "prices":[{"perVideoSecondVariants":{"720x1280":"0.1","1280x720":"0.1","1792x1024":"0.5"}}]}]}
        ]}
        """;

    private IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();

    private DbDialect Dialect { get; init; }

    private GatewayTestHost(FakeProviderServer fake, TollgateServer server, string token, string key, string orgId, string projectId, string keyId, string catalogPath)
    {
        Token = token;
        Fake = fake;
        Server = server;
        Key = key;
        OrgId = orgId;
        ProjectId = projectId;
        KeyId = keyId;
        CatalogPath = catalogPath;
    }

    public FakeProviderServer Fake { get; }

    /// <summary>The org owner's session token.</summary>
    public string Token { get; }
    public TollgateServer Server { get; }
    public string Key { get; }
    public string OrgId { get; }
    public string ProjectId { get; }
    public string KeyId { get; }
    private string CatalogPath { get; }

    /// <summary>The gateway's OpenAI base URL (<c>http://127.0.0.1:port/v1</c>).</summary>
    public Uri GatewayV1 => new(Server.BaseAddress, "v1");

    /// <summary>Starts the fake and the server; <paramref name="settings"/> override configuration.</summary>
    public static async Task<GatewayTestHost> StartAsync(
        DbDialect dialect = DbDialect.Sqlite,
        IReadOnlyDictionary<string, string?>? settings = null,
        TimeProvider? clock = null,
        string? connectionString = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var fake = await FakeProviderServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var catalogPath = Path.Combine(Path.GetTempPath(), $"tollgate-catalog-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(catalogPath, CatalogJson);
        var all = new Dictionary<string, string?>
        {
            ["Tollgate:Catalog:Path"] = catalogPath,
            ["Tollgate:Providers:openai:BaseUrl"] = fake.OpenAIBaseUrl("openai"),
            ["Tollgate:Providers:openai:ApiKey"] = "sk-server-openai-secret",
            ["Tollgate:Providers:anthropic:BaseUrl"] = fake.AnthropicBaseUrl(),
            ["Tollgate:Providers:anthropic:ApiKey"] = "sk-ant-server-secret",
            ["Tollgate:Providers:primary:BaseUrl"] = fake.OpenAIBaseUrl("primary"),
            ["Tollgate:Providers:primary:ApiKey"] = "sk-primary",
            ["Tollgate:Providers:secondary:BaseUrl"] = fake.OpenAIBaseUrl("secondary"),
            ["Tollgate:Providers:secondary:ApiKey"] = "sk-secondary",
            // Bedrock: the fake verifies SigV4 with the secret it is configured with (FakeOptions).
            ["Tollgate:Providers:bedrock:BaseUrl"] = fake.BedrockBaseUrl(),
            ["Tollgate:Providers:bedrock:AccessKeyId"] = fake.Options.BedrockAccessKeyId,
            ["Tollgate:Providers:bedrock:SecretAccessKey"] = fake.Options.BedrockSecretAccessKey,
            ["Tollgate:Providers:bedrock:Region"] = "us-west-2",

            // Google AI Studio and Vertex (a service account made at run time, known to the fake).
            ["Tollgate:Providers:google:BaseUrl"] = fake.BaseAddress.ToString().TrimEnd('/'),
            ["Tollgate:Providers:google:ApiKey"] = "google-server-key",
            ["Tollgate:Providers:vertex:BaseUrl"] = fake.BaseAddress.ToString().TrimEnd('/'),
            ["Tollgate:Providers:vertex:ProjectId"] = "tollgate-test",
            ["Tollgate:Providers:vertex:Location"] = "us-central1",
            ["Tollgate:Providers:vertex:ServiceAccountJson"] = Providers.Google.TestServiceAccount.For(fake).Json,
            ["Tollgate:Providers:mistral:BaseUrl"] = fake.OpenAIBaseUrl("mistral"),
            ["Tollgate:Providers:mistral:ApiKey"] = "sk-mistral-secret",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }

        var server = await TollgateServer.StartAsync(dialect, all, connectionString: connectionString, configure: builder =>
        {
            if (clock is not null)
            {
                builder.Services.AddSingleton(clock);
            }

            configure?.Invoke(builder);
        });
        var (token, orgId, projectId, keyId, key) = await AccountSetup.CreateOrgWithKeyAsync(server).WaitAsync(TimeSpan.FromSeconds(30));
        return new GatewayTestHost(fake, server, token, key, orgId, projectId, keyId, catalogPath) { Settings = all, Dialect = dialect };
    }

    /// <summary>Another node: a second server process-equivalent on the same database, catalog and providers.</summary>
    public Task<TollgateServer> StartSecondNodeAsync() =>
        TollgateServer.StartAsync(Dialect, Settings, connectionString: Server.ConnectionString);

    /// <summary>An HTTP client for the gateway that sends the key.</summary>
    public HttpClient GatewayClient() => Server.CreateClient(Key);

    /// <summary>The ledger rows of this server, oldest first.</summary>
    public async Task<IReadOnlyList<LedgerRow>> LedgerAsync()
    {
        await using var connection = await Server.App.Services.GetRequiredService<Database>().OpenAsync();
        var rows = await connection.QueryAsync(
            "SELECT * FROM ledger ORDER BY started_at, request_id, attempt");
        return rows.Select(r => (IDictionary<string, object?>)r).Select(r => new LedgerRow(
            (string)r["request_id"]!, Convert.ToInt64(r["attempt"]), (string)r["model"]!, (string)r["provider"]!, (string)r["provider_model"]!,
            (string)r["status"]!, Convert.ToInt64(r["http_status"]), Convert.ToInt64(r["input_tokens"]), Convert.ToInt64(r["cached_input_tokens"]),
            Convert.ToInt64(r["output_tokens"]), Convert.ToInt64(r["reasoning_tokens"]), Convert.ToInt64(r["cost_pico"]),
            Convert.ToBoolean(r["usage_estimated"]), Convert.ToBoolean(r["streamed"]), Convert.ToBoolean(r["cancelled"]),
            (string)r["key_id"]!, (string)r["member_id"]!, (string)r["project_id"]!, (string)r["org_id"]!) { Endpoint = (string)r["endpoint"]! }).ToList();
    }

    /// <summary>Waits until the ledger has at least <paramref name="count"/> rows (settling after a disconnect is asynchronous).</summary>
    public async Task<IReadOnlyList<LedgerRow>> WaitForLedgerAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var rows = await LedgerAsync();
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A chat request body.</summary>
    public static StringContent ChatBody(string model, string text, bool stream = false, bool includeUsage = false, int? maxTokens = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["model"] = model,
            ["messages"] = new[] { new { role = "user", content = text } },
        };
        if (stream)
        {
            body["stream"] = true;
        }

        if (includeUsage)
        {
            body["stream_options"] = new { include_usage = true };
        }

        if (maxTokens is not null)
        {
            body["max_tokens"] = maxTokens;
        }

        return new StringContent(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Fake.DisposeAsync();
        File.Delete(CatalogPath);
    }
}
