using System.Net;
using System.Text;
using System.Text.Json;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Gateway;

/// <summary>
/// <c>previous_response_id</c> on a provider that keeps no conversations (Anthropic): the gateway rebuilds
/// the conversation from the responses it stored, per org.
/// </summary>
public sealed class ResponsesHistoryTests
{
    private static async Task<JsonElement> PostAsync(HttpClient client, string json, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await client.PostAsync("v1/responses", new StringContent(json, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var body = await JsonAsync(response);
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {body}");
        return body;
    }

    private static string OutputText(JsonElement response) =>
        string.Concat(response.GetProperty("output").EnumerateArray()
            .Where(i => i.GetProperty("type").GetString() == "message")
            .SelectMany(i => i.GetProperty("content").EnumerateArray())
            .Select(c => c.GetProperty("text").GetString()));

    // The messages the Anthropic fake received: (role, text of each block joined).
    private static List<(string Role, string Text)> UpstreamMessages(GatewayTestHost host, out JsonElement request)
    {
        request = JsonDocument.Parse(host.Fake.Requests[^1].Body).RootElement.Clone();
        return request.GetProperty("messages").EnumerateArray().Select(m => (
            m.GetProperty("role").GetString()!,
            m.GetProperty("content").ValueKind == JsonValueKind.String
                ? m.GetProperty("content").GetString()!
                : string.Concat(m.GetProperty("content").EnumerateArray().Select(b => b.TryGetProperty("text", out var t) ? t.GetString() : "")))).ToList();
    }

    [Fact]
    public async Task TranslatedProvider_ReceivesTheWholeStoredChain_WithoutTheEarlierInstructions()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var first = await PostAsync(client, """{"model":"claude-test","instructions":"Be brief.","input":"My name is Ada. fake:chunks=2"}""");
        var second = await PostAsync(client, $$"""{"model":"claude-test","previous_response_id":"{{first.GetProperty("id").GetString()}}","input":[{"role":"user","content":"What is my name? fake:chunks=3"}]}""");
        var secondMessages = UpstreamMessages(host, out var secondRequest);

        Assert.Equal(
            [("user", "My name is Ada. fake:chunks=2"), ("assistant", OutputText(first)), ("user", "What is my name? fake:chunks=3")],
            secondMessages);
        Assert.False(secondRequest.TryGetProperty("system", out _)); // instructions are not carried over, as with OpenAI

        // A streamed third turn continues the second, whose stored request is already the expanded chain.
        var third = await client.PostAsync("v1/responses", new StringContent(
            $$"""{"model":"claude-test","stream":true,"instructions":"Answer in one word.","previous_response_id":"{{second.GetProperty("id").GetString()}}","input":"And again?"}""",
            Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var events = await third.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Contains("event: response.completed", events, StringComparison.Ordinal);
        var thirdMessages = UpstreamMessages(host, out var thirdRequest);
        Assert.Equal([.. secondMessages, ("assistant", OutputText(second)), ("user", "And again?")], thirdMessages);
        Assert.Equal("Answer in one word.", string.Concat(thirdRequest.GetProperty("system").ValueKind == JsonValueKind.String
            ? [thirdRequest.GetProperty("system").GetString()]
            : thirdRequest.GetProperty("system").EnumerateArray().Select(b => b.GetProperty("text").GetString())));
        Assert.Equal(3, (await host.LedgerAsync()).Count);
    }

    [Fact]
    public async Task UnknownOrForeignPreviousResponse_Is400PreviousResponseNotFound_NeverSentNorBilled()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var (_, _, _, _, otherKey) = await Infrastructure.AccountSetup.CreateOrgWithKeyAsync(host.Server);
        using var other = host.Server.CreateClient(otherKey);
        var theirs = await PostAsync(other, """{"model":"claude-test","input":"secret of another org"}""");
        var sentBefore = host.Fake.Requests.Count;

        foreach (var id in new[] { "resp_does_not_exist", theirs.GetProperty("id").GetString()! })
        {
            var error = (await PostAsync(client, $$"""{"model":"claude-test","previous_response_id":"{{id}}","input":"hi"}""", HttpStatusCode.BadRequest)).GetProperty("error");
            Assert.Equal(("previous_response_not_found", "previous_response_id"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
            Assert.Equal($"Previous response with id '{id}' not found.", error.GetProperty("message").GetString());
        }

        Assert.Equal(sentBefore, host.Fake.Requests.Count);
        Assert.DoesNotContain(await host.LedgerAsync(), r => r.OrgId == host.OrgId);
    }

    [Fact]
    public async Task ProviderThatKeepsConversations_GetsTheIdItself()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var first = await PostAsync(client, """{"model":"fake-model","input":"remember 7"}""");

        await PostAsync(client, $$"""{"model":"fake-model","previous_response_id":"{{first.GetProperty("id").GetString()}}","input":"what number?"}""");

        var upstream = JsonDocument.Parse(host.Fake.Requests[^1].Body).RootElement;
        Assert.Equal(first.GetProperty("id").GetString(), upstream.GetProperty("previous_response_id").GetString());
        Assert.Equal("what number?", upstream.GetProperty("input").GetString());
    }
}
