using Tollgate.Budgets;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Node;

/// <summary>
/// The npm <c>openai</c> package (run with node, <c>tests/node/chat-images.mjs</c>) against a Gemini image
/// model behind the gateway: its parsers accept the answers and streams, the text reads as usual, and
/// the images are where the README says (<c>message.images</c>, <c>delta.images</c>,
/// <c>image_generation_call</c> items), each request charged one image.
/// </summary>
public sealed class NpmChatImageTests
{
    private const string FakePng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    private static Task<System.Text.Json.JsonElement> RunAsync(GatewayTestHost host, string name, string model) =>
        NpmSdkRun.OkAsync(host, "chat-images.mjs", name, model);

    private static List<string?> Strings(System.Text.Json.JsonElement json, string name) =>
        json.GetProperty(name).EnumerateArray().Select(e => e.GetString()).ToList();

    [Fact]
    public async Task ChatAndResponses_PlainAndStreamed_TheSdkReadsTextAndImages_EachChargedOneImage()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var chat = await RunAsync(host, "chat", "gemini-image-test");
        var chatStream = await RunAsync(host, "chat-stream", "gemini-image-vertex-test");
        var responses = await RunAsync(host, "responses", "gemini-image-test");
        var responsesStream = await RunAsync(host, "responses-stream", "gemini-image-vertex-test");

        Assert.Equal(("tok0 tok1 tok2 ", "stop"), (chat.Str("text"), chat.Str("finish")));
        Assert.Equal(["data:image/png;base64," + FakePng], Strings(chat, "images"));
        Assert.Equal("tok0 tok1 tok2 ", chatStream.Str("text"));
        Assert.Equal(["data:image/png;base64," + FakePng], Strings(chatStream, "images"));
        Assert.Equal(3L + 1290, chatStream.Long("completionTokens")); // the provider's count: text and image tokens
        Assert.Equal("tok0 tok1 tok2 ", responses.Str("text"));
        Assert.Equal([FakePng], Strings(responses, "images"));
        Assert.Equal(["completed"], Strings(responses, "statuses"));
        Assert.Equal(("tok0 tok1 tok2 ", FakePng), (responsesStream.Str("text"), responsesStream.Str("image")));
        Assert.Equal([FakePng], Strings(responsesStream, "completed"));
        Assert.Equal(
            ["response.image_generation_call.in_progress", "response.image_generation_call.generating", "response.image_generation_call.completed"],
            Strings(responsesStream, "types"));
        var rows = await host.LedgerAsync();
        Assert.Equal(["chat.completions", "chat.completions", "responses", "responses"], rows.Select(r => r.Endpoint));
        Assert.All(rows, r => Assert.Equal(Money.ToPico((r.InputTokens * 0.25m / 1_000_000m) + (3 * 1.5m / 1_000_000m) + 0.034m), r.CostPico));
    }
}
