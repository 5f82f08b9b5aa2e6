using System.Net;
using System.Text.Json;
using Tollgate.Budgets;
using static Tollgate.Tests.Budgets.BudgetTestCalls;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary>Every unit-billed endpoint goes through the same admission: denied before the provider, never past a cap.</summary>
public sealed class ModalityAdmissionTests
{
    /// <summary>One request of each endpoint, with the path the fake sees.</summary>
    public static TheoryData<string> Endpoints => new() { "embeddings", "speech", "transcription", "image", "image-edit", "ocr" };

    private static (string Path, string Upstream, HttpContent Body) RequestOf(string endpoint) => endpoint switch
    {
        "embeddings" => ("v1/embeddings", "/v1/embeddings", Json("""{"model":"mod-embed","input":"hello"}""")),
        "speech" => ("v1/audio/speech", "/v1/audio/speech", Json("""{"model":"mod-tts","input":"hello","voice":"alloy"}""")),
        "transcription" => ("v1/audio/transcriptions", "/v1/audio/transcriptions",
            Form(new Dictionary<string, string> { ["model"] = "mod-whisper" }, "file", "a.wav", Wav(1), "audio/wav")),
        "image" => ("v1/images/generations", "/v1/images/generations", Json("""{"model":"mod-image","prompt":"x","size":"1024x1024","quality":"hd"}""")),
        "image-edit" => ("v1/images/edits", "/v1/images/edits",
            Form(new Dictionary<string, string> { ["model"] = "mod-image", ["prompt"] = "x", ["size"] = "1024x1024", ["quality"] = "low" }, "image", "a.png", Png(), "image/png")),
        _ => ("v1/ocr", "/v1/ocr", Json("""{"model":"mod-ocr","document":{"type":"image_url","image_url":"https://example.com/a.png"}}""")),
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task KeyLimitZero_403WithTheBudgetBody_BeforeAnyByteGoesUpstream(string endpoint)
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
        using var client = host.GatewayClient();
        var (path, upstream, body) = RequestOf(endpoint);

        var response = await client.PostAsync(path, body, TestContext.Current.CancellationToken).WaitAsync(Wait);

        await AssertDeniedAsync(response, "key_budget_exceeded", "API Key Test Key has reached its budget limit ($0.00 / $0.00). Other Keys are not affected.");
        Assert.Empty(Upstream(host, upstream));
        Assert.Empty(await host.LedgerAsync());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task MemberLimitZero_Denied_AndWithRoomTheSameRequestIsBilledOnce(string endpoint)
    {
        await using var host = await GatewayTestHost.StartAsync();
        var budget = $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget";
        await PutOkAsync(host, budget, """{"spend":{"type":"fixed","limit":"0"}}""");
        using var client = host.GatewayClient();
        var (path, upstream, _) = RequestOf(endpoint);

        await AssertDeniedAsync(await client.PostAsync(path, RequestOf(endpoint).Body, TestContext.Current.CancellationToken).WaitAsync(Wait),
            "member_budget_exceeded", BudgetMessages.MemberFixed);
        await PutOkAsync(host, budget, """{"spend":{"type":"fixed","limit":"10"}}""");
        var allowed = await client.PostAsync(path, RequestOf(endpoint).Body, TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Single(Upstream(host, upstream));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.True(row.CostPico > 0, row.ToString());
    }

    [Fact]
    public async Task OcrUrl_TheConfiguredPageBoundIsReserved_ListedPagesNarrowIt()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Gateway:OcrMaxPages"] = "40" });
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0.03"}}""");
        using var client = host.GatewayClient();

        // 40 pages × $0.001 = $0.04 does not fit in $0.03; the same document with 3 listed pages does.
        var whole = await client.PostAsync("v1/ocr", Json("""{"model":"mod-ocr","document":{"type":"document_url","document_url":"https://example.com/a.pdf"}}"""),
            TestContext.Current.CancellationToken).WaitAsync(Wait);
        var listed = await client.PostAsync("v1/ocr", Json("""{"model":"mod-ocr","document":{"type":"document_url","document_url":"https://example.com/a.pdf?pages=9"},"pages":[0,1,2]}"""),
            TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.Forbidden, whole.StatusCode);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Single(Upstream(host, "/v1/ocr"));
        Assert.Equal(Pico(3 * 0.001m), Assert.Single(await host.LedgerAsync()).CostPico);
    }

    [Fact]
    public async Task ConcurrentImagesAtAKeyCap_NeverOvershoot()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.LatencyMs = 200;
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0.35"}}""");
        using var client = host.GatewayClient();

        // Each request reserves its bound, 1 hd image at $0.08: four fit in $0.35, a fifth does not.
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            client.PostAsync("v1/images/generations", Json("""{"model":"mod-image","prompt":"x","size":"1024x1024","quality":"hd"}"""),
                TestContext.Current.CancellationToken))).WaitAsync(Wait);

        Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.Forbidden));
        Assert.Equal(4, Upstream(host, "/v1/images/generations").Count);
        Assert.Equal(Pico(4 * 0.08m), await LedgerSumAsync(host));
    }

    [Theory]
    [InlineData("v1/audio/transcriptions", "application/json", "multipart/form-data", 415)]
    [InlineData("v1/images/edits", "application/json", "multipart/form-data", 415)]
    [InlineData("v1/embeddings", "text/plain", "application/json", 415)]
    [InlineData("v1/audio/speech", "multipart/form-data; boundary=x", "application/json", 415)]
    public async Task WrongContentType_415_NeverBilled(string path, string type, string said, int status)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var body = new ByteArrayContent("{}"u8.ToArray());
        body.Headers.TryAddWithoutValidation("Content-Type", type);

        var response = await client.PostAsync(path, body, TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(said, await ErrorMessageAsync(response), StringComparison.Ordinal);
        Assert.Empty(await host.LedgerAsync());
    }

    [Theory]
    [InlineData("v1/audio/transcriptions", "mod-whisper", null, "'file' is required")]
    [InlineData("v1/images/edits", "mod-image", null, "'image' is required")]
    [InlineData("v1/audio/transcriptions", "mod-whisper", "xml", "'response_format' must be one of")]
    public async Task MissingFileOrBadField_400_NeverSentNorBilled(string path, string model, string? format, string said)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var fields = new Dictionary<string, string> { ["model"] = model, ["prompt"] = "x" };
        if (format is not null)
        {
            fields["response_format"] = format;
        }

        var response = await client.PostAsync(path, Form(fields, format is null ? null : "file", "a.wav", Wav(1), "audio/wav"),
            TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(said, await ErrorMessageAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Fake.Requests);
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task ModelOfAnotherKind_400()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/embeddings", Json("""{"model":"mod-tts","input":"x"}"""), TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("is a speech model", await ErrorMessageAsync(response), StringComparison.Ordinal);
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task Models_ListsEveryKindWithItsKind()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        using var list = JsonDocument.Parse(await client.GetStringAsync("v1/models", TestContext.Current.CancellationToken).WaitAsync(Wait));

        var kinds = list.RootElement.GetProperty("data").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("kind").GetString());
        Assert.Equal(("chat", "embedding", "speech", "transcription", "image", "ocr"),
            (kinds["fake-model"], kinds["mod-embed"], kinds["mod-tts"], kinds["mod-whisper"], kinds["mod-image"], kinds["mod-ocr"]));
    }
}
