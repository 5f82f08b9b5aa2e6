using System.Net;
using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Operations;

/// <summary>
/// <c>/metrics</c> after known traffic: the counters equal what the ledger holds. The model has a name
/// of its own, so traffic of other tests in this process cannot change the series read here.
/// </summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_AfterKnownTraffic_CountRequestsTokensCostAndDenials()
    {
        var model = $"metrics-{Guid.NewGuid():N}";
        var catalog = Path.Combine(Path.GetTempPath(), $"tollgate-catalog-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(catalog, GatewayTestHost.CatalogJson.Replace("\"id\":\"fake-model\"", $"\"id\":\"{model}\"", StringComparison.Ordinal));
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Catalog:Path"] = catalog });
        using var client = host.GatewayClient();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        for (var i = 0; i < 3; i++)
        {
            using var answer = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody(model, $"hello {i}"), cts.Token);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        using (var streamed = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody(model, "stream", stream: true, includeUsage: true), cts.Token))
        {
            Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
            _ = await streamed.Content.ReadAsStringAsync(cts.Token);
        }

        var ledger = await host.WaitForLedgerAsync(4);
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
        using (var denied = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody(model, "over"), cts.Token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        var m = ("gen_ai_request_model", model);
        var text = "";
        var deadline = DateTime.UtcNow.AddSeconds(15);
        do
        {
            text = await host.Server.Client.GetStringAsync("metrics", cts.Token);
        }
        while (PrometheusText.Sum(text, "tollgate_requests_total", m) < 5 && DateTime.UtcNow < deadline && !cts.IsCancellationRequested);

        Assert.Equal(4, PrometheusText.Sum(text, "tollgate_requests_total", m, ("tollgate_outcome", "ok")));
        Assert.Equal(1, PrometheusText.Sum(text, "tollgate_requests_total", m, ("tollgate_outcome", "denied")));
        Assert.Equal(1, PrometheusText.Sum(text, "tollgate_admission_denials_total", m, ("tollgate_scope", "member")));
        Assert.Equal(ledger.Sum(r => r.InputTokens), PrometheusText.Sum(text, "tollgate_tokens_total", m, ("tollgate_token_kind", "input")));
        Assert.Equal(ledger.Sum(r => r.OutputTokens), PrometheusText.Sum(text, "tollgate_tokens_total", m, ("tollgate_token_kind", "output")));
        Assert.Equal((double)Money.FromPico(ledger.Sum(r => r.CostPico)), PrometheusText.Sum(text, "tollgate_cost_total", m), 9);
        Assert.Equal(4, PrometheusText.Sum(text, "gen_ai_client_token_usage_count", m, ("gen_ai_token_type", "input"), ("gen_ai_provider_name", "openai")));
        Assert.Equal(ledger.Sum(r => r.InputTokens), PrometheusText.Sum(text, "gen_ai_client_token_usage_sum", m, ("gen_ai_token_type", "input")));
        Assert.Equal(4, PrometheusText.Sum(text, "gen_ai_client_operation_duration_seconds_count", m));
        Assert.Equal(5, PrometheusText.Sum(text, "tollgate_request_duration_seconds_count", m));
        Assert.True(PrometheusText.Sum(text, "tollgate_ledger_batch_size_count") >= 1, "no ledger batch recorded");
        Assert.Equal(0, PrometheusText.Sum(text, "tollgate_reservations_in_flight", m));
        Assert.Equal(0, PrometheusText.Sum(text, "tollgate_streams_open", m));
        Assert.Contains("tollgate_reservations_in_flight{", text, StringComparison.Ordinal);
    }
}
