using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using OpenAI.Responses;
using Tollgate.Budgets;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Gateway;

/// <summary><c>/v1/responses</c> and <c>GET /v1/responses/{id}</c> through the gateway to the Responses fake.</summary>
#pragma warning disable OPENAI001 // The Responses client is marked experimental in this SDK version.
public sealed class ResponsesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static ResponsesClient Sdk(GatewayTestHost host) => new(new ApiKeyCredential(host.Key), new ResponsesClientOptions
    {
        Endpoint = host.GatewayV1,
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        NetworkTimeout = Timeout,
    });

    // fake-model: $2.5 input, $1.25 cached input, $10 output per million.
    private static long ExpectedPico(long input, long cached, long output) =>
        Money.ToPico((((input - cached) * 2.5m) + (cached * 1.25m) + (output * 10m)) / 1_000_000m);

    [Fact]
    public async Task Create_OfficialSdk_PassesThroughChargesOnceAndStoresTheResponse()
    {
        await using var host = await GatewayTestHost.StartAsync();

        ResponseResult response = await Sdk(host).CreateResponseAsync(
            new CreateResponseOptions("fake-model", [ResponseItem.CreateUserMessageItem("What is 2+2? fake:cached_tokens=2")]) { Instructions = "Be brief." }).WaitAsync(Timeout);

        Assert.Equal("fake-model", response.Model);
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", response.GetOutputText());
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("responses", "openai", "fake-upstream-model", "ok"), (row.Endpoint, row.Provider, row.ProviderModel, row.Status));
        Assert.Equal(ExpectedPico(response.Usage.InputTokenCount, 2, response.Usage.OutputTokenCount), row.CostPico);
        Assert.Equal("/openai/v1/responses", host.Fake.Requests[^1].Path);
        Assert.Contains("\"model\":\"fake-upstream-model\"", host.Fake.Requests[^1].Body, StringComparison.Ordinal);

        // A stored response is read back, by id, never billed.
        ResponseResult again = await Sdk(host).GetResponseAsync(response.Id).WaitAsync(Timeout);
        Assert.Equal((response.Id, "tok0 tok1 tok2 tok3 tok4 "), (again.Id, again.GetOutputText()));
        Assert.Single(await host.LedgerAsync());
        Assert.Single(host.Fake.Requests);
    }

    [Fact]
    public async Task CreateStreaming_OfficialSdk_RelaysTypedEventsAndStoresTheCompletedResponse()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Streaming:KeepAliveSeconds"] = "0.1" });
        var text = new StringBuilder();
        ResponseResult? completed = null;
        using var cts = new CancellationTokenSource(Timeout);

        await foreach (var update in await Sdk(host).CreateResponseStreamingAsync(
            new CreateResponseOptions("fake-model", [ResponseItem.CreateUserMessageItem("Count fake:chunks=3 fake:chunk_delay_ms=150")]) { StreamingEnabled = true }, cts.Token).WaitAsync(Timeout))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }

        Assert.Equal("tok0 tok1 tok2 ", text.ToString());
        Assert.NotNull(completed);
        Assert.Equal("fake-model", completed.Model);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.True(row.Streamed);
        Assert.Equal(ExpectedPico(completed.Usage.InputTokenCount, 0, completed.Usage.OutputTokenCount), row.CostPico);
        Assert.Equal(completed.Id, (await Sdk(host).GetResponseAsync(completed.Id).WaitAsync(Timeout)).Value.Id);
    }

    [Fact]
    public async Task StoredResponses_AreOnlyTheirOrgs_AndStoreFalseKeepsNothing()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var stored = await JsonAsync(await client.PostAsync("v1/responses",
            new StringContent("""{"model":"fake-model","input":"keep me"}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken));
        var unstored = await JsonAsync(await client.PostAsync("v1/responses",
            new StringContent("""{"model":"fake-model","input":"forget me","store":false}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken));
        var (_, otherOrg, otherProject, _, otherKey) = await Infrastructure.AccountSetup.CreateOrgWithKeyAsync(host.Server);
        using var other = host.Server.CreateClient(otherKey);

        var own = await client.GetAsync($"v1/responses/{stored.GetProperty("id").GetString()}", TestContext.Current.CancellationToken);
        var notStored = await client.GetAsync($"v1/responses/{unstored.GetProperty("id").GetString()}", TestContext.Current.CancellationToken);
        var foreign = await other.GetAsync($"v1/responses/{stored.GetProperty("id").GetString()}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notStored.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        Assert.Equal("response_not_found", (await JsonAsync(foreign)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(2, (await host.LedgerAsync()).Count);
        Assert.NotEqual(host.OrgId, otherOrg);
        Assert.NotEqual(host.ProjectId, otherProject);
    }

    [Fact]
    public async Task KeyBudgetSpent_DeniedBeforeTheProviderInOpenAIFormat()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/responses", new StringContent("""{"model":"fake-model","input":"hi"}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal(("key_budget_exceeded", "budget_exceeded"), (error.GetProperty("code").GetString(), error.GetProperty("type").GetString()));
        Assert.Empty(host.Fake.Requests);
    }

    [Fact]
    public async Task ErrorMidStream_EndsWithResponseFailed_AndThePartialUsageIsCharged()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/responses",
            new StringContent("""{"model":"fake-model","input":"fake:chunks=5 fake:cut_after=2","stream":true}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("response.output_text.delta", body, StringComparison.Ordinal);
        var failed = body.LastIndexOf("event: response.failed\ndata: ", StringComparison.Ordinal);
        Assert.True(failed > 0, body);
        Assert.Contains("\"status\":\"failed\"", body[failed..], StringComparison.Ordinal);
        Assert.Contains("\"error\":{\"code\":\"upstream_unreachable\",\"message\":", body[failed..], StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal("failed", row.Status);
        Assert.True(row.CostPico > 0);
    }
}
