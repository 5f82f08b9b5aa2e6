using System.Diagnostics;
using OpenTelemetry.Trace;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Operations;

/// <summary>
/// With traces exported, one gateway request is one trace and one chain: the ASP.NET Core server span is
/// the parent of the gateway's request span, that of the provider attempt's span, and that of the HttpClient
/// span of the call to the provider — which carries no trace header to the provider.
/// </summary>
[Collection(TraceCollection.Name)]
public sealed class TraceTests
{
    /// <summary>The parent's span id, from the parent itself or from its W3C id (a parent that has ended may be gone).</summary>
    private static ActivitySpanId ParentSpan(Activity activity) =>
        activity.Parent?.SpanId ?? (activity.ParentId is { Length: 55 } w3c ? ActivitySpanId.CreateFromString(w3c.AsSpan(36, 16)) : activity.ParentSpanId);

    [Fact]
    public async Task GatewayRequest_HasRequestAttemptAndHttpClientSpans_InOneTrace()
    {
        var spans = new List<Activity>();
        await using var host = await GatewayTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Tollgate:Telemetry:OtlpEndpoint"] = "http://127.0.0.1:9" }, // nothing listens: export fails quietly
            configure: builder => builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        using var client = host.GatewayClient();

        using var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "trace me"), TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var requestId = response.Headers.GetValues("x-tollgate-request-id").Single();

        // Spans are exported when they end; the server span ends just after the answer is sent.
        Activity[] snapshot = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            lock (spans)
            {
                snapshot = [.. spans];
            }

            var server = snapshot.FirstOrDefault(a => a.Kind == ActivityKind.Server && (a.GetTagItem("url.path") as string) == "/v1/chat/completions");
            if (server is not null && snapshot.Count(a => a.TraceId == server.TraceId) >= 4)
            {
                break;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        var root = Assert.Single(snapshot, a => a.Kind == ActivityKind.Server && (a.GetTagItem("url.path") as string) == "/v1/chat/completions");
        var trace = snapshot.Where(a => a.TraceId == root.TraceId).ToList();
        var gateway = Assert.Single(trace, a => a.DisplayName == "gateway chat.completions" || a.OperationName.StartsWith("gateway ", StringComparison.Ordinal));
        var attempt = Assert.Single(trace, a => a.OperationName == "chat fake-model");
        // The test's own call to the gateway is an HttpClient span too (the server span's parent, since the
        // listener is process-wide); the provider call is the other one.
        var http = Assert.Single(trace, a => (a.Source.Name == "System.Net.Http" || a.OperationName == "System.Net.Http.HttpRequestOut") && a.SpanId != ParentSpan(root));
        Assert.Equal(root.SpanId, ParentSpan(gateway));
        Assert.Equal(gateway.SpanId, ParentSpan(attempt));
        // The HttpClient span of the provider call is the attempt's child: same trace, the attempt as its parent.
        Assert.Equal(ActivityKind.Client, http.Kind);
        Assert.Equal(root.TraceId, http.TraceId);
        Assert.Equal(attempt.TraceId, http.TraceId);
        Assert.True(attempt.SpanId == ParentSpan(http),
            $"HttpClient span {http.Id} ({http.OperationName}) has parent '{http.ParentId}' (span {ParentSpan(http)}); the attempt is {attempt.Id}");
        Assert.Equal(root.TraceId, attempt.TraceId);
        Assert.Equal("openai", attempt.GetTagItem("gen_ai.provider.name"));
        Assert.False(string.IsNullOrEmpty(requestId));

        // No trace context leaves for the provider.
        var upstream = host.Fake.Requests[^1];
        Assert.DoesNotContain(upstream.Headers.Keys, h => h.Equals("traceparent", StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>Span listeners are process-wide: the trace test runs alone, so other servers' spans do not mix in.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TraceCollection
{
    public const string Name = "Traces (alone)";
}
