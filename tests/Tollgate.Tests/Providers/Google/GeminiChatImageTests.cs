using System.ClientModel;
using System.Data.Common;
using System.Net;
using System.Text;
using System.Text.Json;
using Dapper;
using OpenAI.Chat;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Providers.Google;

/// <summary>
/// A Gemini image model (catalog kind <c>image</c>) reached through the chat endpoints on AI Studio and
/// Vertex: asked for text and images, its <c>inlineData</c> parts come back as Chat Completions'
/// <c>message.images</c> / <c>delta.images</c> and Responses' <c>image_generation_call</c> items; Messages
/// is refused before the provider. Each image is charged at <c>perImage</c>, its tokens not again as output.
/// </summary>
public sealed class GeminiChatImageTests
{
    private const string FakePng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    private const string DataUrl = "data:image/png;base64," + FakePng;
    private const string Prompt = "draw a lighthouse fake:chunks=3";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The image models of the test catalog, on AI Studio and on Vertex, with the path of their Gemini method.</summary>
    public static TheoryData<string, string> Models => new()
    {
        { "gemini-image-test", "/v1beta/models/gemini-image-upstream:" },
        { "gemini-image-vertex-test", "/v1/projects/tollgate-test/locations/us-central1/publishers/google/models/gemini-image-vertex-upstream:" },
    };

    private static global::Tollgate.FakeProviders.RecordedRequest Gemini(GatewayTestHost host) =>
        host.Fake.Requests.Last(r => r.Path.Contains("generateContent", StringComparison.OrdinalIgnoreCase));

    // Three text tokens at $1.50/M, the prompt at $0.25/M, and one image at $0.034; the image's 1,290 tokens are not charged again.
    private static long ExpectedCost(LedgerRow row) => Pico((row.InputTokens * 0.25m / 1_000_000m) + (3 * 1.5m / 1_000_000m) + 0.034m);

    private static async Task<long?> ImagesOfAsync(GatewayTestHost host, string requestId)
    {
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        var images = await connection.QuerySingleAsync<long?>("SELECT unit_images FROM ledger WHERE request_id = @requestId", new { requestId });
        return images;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task ChatCompletions_OfficialSdkReadsTheText_TheRawAnswerCarriesTheImage_ChargedPerImage(string model, string path)
    {
        await using var host = await GatewayTestHost.StartAsync();
        var client = Sdk(host).GetChatClient(model);

        ClientResult<ChatCompletion> result = await client.CompleteChatAsync([new UserChatMessage(Prompt)], cancellationToken: Ct).WaitAsync(Wait);

        Assert.Equal("tok0 tok1 tok2 ", result.Value.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
        using (var raw = JsonDocument.Parse(result.GetRawResponse().Content.ToString()))
        {
            var image = Assert.Single(raw.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("images").EnumerateArray());
            Assert.Equal("image_url", image.GetProperty("type").GetString());
            Assert.Equal(DataUrl, image.GetProperty("image_url").GetProperty("url").GetString());
            Assert.Equal(model, raw.RootElement.GetProperty("model").GetString());
        }

        var upstream = Gemini(host);
        Assert.Equal(path + "generateContent", upstream.Path);
        using (var sent = JsonDocument.Parse(upstream.Body))
        {
            Assert.Equal(["TEXT", "IMAGE"], sent.RootElement.GetProperty("generationConfig").GetProperty("responseModalities").EnumerateArray().Select(m => m.GetString()));
        }

        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("chat.completions", "ok", false, 3L), (row.Endpoint, row.Status, row.UsageEstimated, row.OutputTokens));
        Assert.True(row.InputTokens > 0);
        Assert.Equal(ExpectedCost(row), row.CostPico);
        Assert.Equal(1L, await ImagesOfAsync(host, row.RequestId));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task ChatCompletions_Streamed_DeltaImagesCarryTheImage_TheSdkStillReadsTheText_SameCharge(string model, string path)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var http = host.GatewayClient();

        var response = await http.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody(model, Prompt, stream: true, includeUsage: true), Ct).WaitAsync(Wait);
        var sse = await response.Content.ReadAsStringAsync(Ct).WaitAsync(Wait);
        var text = new StringBuilder();
        await foreach (var update in Sdk(host).GetChatClient(model).CompleteChatStreamingAsync([new UserChatMessage(Prompt)], cancellationToken: Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var chunks = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        var images = chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0 && c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("images", out _))
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("images")).ToList();
        var image = Assert.Single(Assert.Single(images).EnumerateArray());
        Assert.Equal(DataUrl, image.GetProperty("image_url").GetProperty("url").GetString());
        Assert.EndsWith("data: [DONE]\n\n", sse, StringComparison.Ordinal);
        Assert.Equal("tok0 tok1 tok2 ", text.ToString());
        Assert.Equal(path + "streamGenerateContent", Gemini(host).Path);

        var rows = await host.LedgerAsync();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row => Assert.Equal((true, 3L, ExpectedCost(row)), (row.Streamed, row.OutputTokens, row.CostPico)));
        Assert.Equal(1L, await ImagesOfAsync(host, rows[0].RequestId));
    }

    [Fact]
    public async Task Responses_AnswerHasAnImageGenerationCallItem_WithTheImageAsResult()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var http = host.GatewayClient();

        var response = await http.PostAsync("v1/responses", Json("""{"model":"gemini-image-test","input":"draw a lighthouse fake:chunks=3"}"""), Ct).WaitAsync(Wait);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var answer = JsonDocument.Parse(text);
        // The text parts (one message item each, as Gemini's parts come), then the image.
        var output = answer.RootElement.GetProperty("output").EnumerateArray().ToList();
        Assert.Equal("image_generation_call", output[^1].GetProperty("type").GetString());
        Assert.All(output.SkipLast(1), i => Assert.Equal("message", i.GetProperty("type").GetString()));
        Assert.Equal("tok0 tok1 tok2 ", string.Concat(output.SkipLast(1).Select(i => i.GetProperty("content")[0].GetProperty("text").GetString())));
        var image = output[^1];
        Assert.Equal(("completed", FakePng), (image.GetProperty("status").GetString(), image.GetProperty("result").GetString()));
        Assert.StartsWith("ig_", image.GetProperty("id").GetString(), StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("responses", ExpectedCost(row)), (row.Endpoint, row.CostPico));
    }

    [Fact]
    public async Task Responses_Streamed_ImageGenerationCallEventsInOrder_AndTheCompletedResponseHoldsTheImage()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var http = host.GatewayClient();

        var response = await http.PostAsync("v1/responses", Json("""{"model":"gemini-image-vertex-test","input":"draw fake:chunks=3","stream":true}"""), Ct).WaitAsync(Wait);
        var sse = await response.Content.ReadAsStringAsync(Ct).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => e.Contains("data: ", StringComparison.Ordinal))
            .Select(e => e.Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal)))
            .Select(l => JsonDocument.Parse(l["data: ".Length..]).RootElement).ToList();
        var imageEvents = events.Where(e => e.GetProperty("type").GetString()!.Contains("image_generation_call", StringComparison.Ordinal)
            || (e.TryGetProperty("item", out var item) && item.GetProperty("type").GetString() == "image_generation_call")).ToList();
        Assert.Equal(
            ["response.output_item.added", "response.image_generation_call.in_progress", "response.image_generation_call.generating",
             "response.image_generation_call.completed", "response.output_item.done"],
            imageEvents.Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(JsonValueKind.Null, imageEvents[0].GetProperty("item").GetProperty("result").ValueKind);
        Assert.Equal(FakePng, imageEvents[^1].GetProperty("item").GetProperty("result").GetString());
        var itemId = imageEvents[^1].GetProperty("item").GetProperty("id").GetString();
        Assert.All(imageEvents.Skip(1).SkipLast(1), e => Assert.Equal(itemId, e.GetProperty("item_id").GetString()));
        var sequence = events.Select(e => e.GetProperty("sequence_number").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(0, sequence.Count), sequence);
        var completed = events[^1];
        Assert.Equal("response.completed", completed.GetProperty("type").GetString());
        Assert.Contains(completed.GetProperty("response").GetProperty("output").EnumerateArray(),
            i => i.GetProperty("type").GetString() == "image_generation_call" && i.GetProperty("result").GetString() == FakePng);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("vertex", true, ExpectedCost(row)), (row.Provider, row.Streamed, row.CostPico));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Messages_ImageModel_400SayingSo_BeforeTheProvider_NeverBilled(bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var http = host.GatewayClient();

        var response = await http.PostAsync("v1/messages",
            Json($$"""{"model":"gemini-image-test","max_tokens":500,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"draw"}]}"""), Ct).WaitAsync(Wait);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var error = JsonDocument.Parse(text);
        Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("may answer with images", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(host.Fake.Requests, r => r.Path.Contains("generateContent", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task ImageModelOfAProviderWhoseChatCarriesNoImages_400NamingTheKind_NothingSent()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var http = host.GatewayClient();

        var response = await http.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("mod-image", "draw"), Ct).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("is a image model; it cannot be used with chat.completions", await ErrorMessageAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Fake.Requests);
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task CapWithRoomForTextButNotForOneImage_403BeforeTheProvider()
    {
        await using var host = await GatewayTestHost.StartAsync();
        // $0.03 pays for hundreds of text tokens, but the smallest answer that may hold an image is one image ($0.034).
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0.03"}}""");
        using var http = host.GatewayClient();

        var text = await http.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("gemini-test", "hello", maxTokens: 500), Ct).WaitAsync(Wait);
        var image = await http.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("gemini-image-test", "draw", maxTokens: 500), Ct).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        var spent = await LedgerSumAsync(host);
        await AssertDeniedAsync(image, "key_budget_exceeded", $"API Key Test Key has reached its budget limit ({Usd(spent)} / {Usd(Pico(0.03m))}). Other Keys are not affected.");
        Assert.DoesNotContain(host.Fake.Requests, r => r.Path.Contains("gemini-image-upstream", StringComparison.Ordinal));
        Assert.Equal("gemini-test", Assert.Single(await host.LedgerAsync()).Model);
    }

    [Fact]
    public async Task CapWithRoomForOneImageButNotTheWholeOutput_ClampedLimitReachesGemini_ChargedPerImage()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0.05"}}""");
        using var http = host.GatewayClient();

        var response = await http.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("gemini-image-test", Prompt), Ct).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var clamped = long.Parse(Assert.Single(response.Headers.GetValues("x-tollgate-output-clamped")), System.Globalization.CultureInfo.InvariantCulture);
        // Output tokens are reserved at $0.034 / 256 each: $0.05 less the prompt leaves room for 256 to 376 of them.
        Assert.InRange(clamped, 256, 376);
        using (var sent = JsonDocument.Parse(Gemini(host).Body))
        {
            Assert.Equal(clamped, sent.RootElement.GetProperty("generationConfig").GetProperty("maxOutputTokens").GetInt64());
        }

        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(ExpectedCost(row), row.CostPico);
    }
}
