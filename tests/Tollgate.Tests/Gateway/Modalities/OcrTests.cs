using System.Net;
using System.Text.Json;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary><c>POST /v1/ocr</c> in Mistral's wire format; mod-ocr is $0.001 a page at the provider <c>mistral</c>.</summary>
public sealed class OcrTests
{
    /// <summary>The body Mistral's client sends for <c>client.ocr.process(model=..., document={...}, include_image_base64=True)</c>.</summary>
    private static StringContent MistralOcr(string document, string extra = "") =>
        Json($$"""{"model":"mod-ocr","document":{{document}},"include_image_base64":true{{extra}}}""");

    [Fact]
    public async Task Base64Pdf_PagesReadFromTheAnswer_BilledPerPage()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var pdf = Convert.ToBase64String(Pdf(3));

        var response = await client.PostAsync("v1/ocr",
            MistralOcr($$"""{"type":"document_url","document_url":"data:application/pdf;base64,{{pdf}}"}"""), TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(3, answer.RootElement.GetProperty("pages").GetArrayLength());
        Assert.Equal(3, answer.RootElement.GetProperty("usage_info").GetProperty("pages_processed").GetInt32());
        var upstream = Assert.Single(Upstream(host, "/mistral/v1/ocr"));
        Assert.Equal("Bearer sk-mistral-secret", upstream.Authorization);
        Assert.Contains("\"model\":\"mod-upstream-ocr\"", upstream.Body, StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("ocr", "mistral", "ok", false, Pico(3 * 0.001m)), (row.Endpoint, row.Provider, row.Status, row.UsageEstimated, row.CostPico));
    }

    [Fact]
    public async Task UrlWithListedPagesWithoutUsageInfo_ThePagesOfTheAnswerAreCharged()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.OmitUsage = true;
        using var client = host.GatewayClient();

        // Without usage_info the pages in the answer are counted: 2 here, with 'pages' listing two indexes.
        var listed = await client.PostAsync("v1/ocr", MistralOcr("""{"type":"document_url","document_url":"https://example.com/a.pdf?pages=9"}""", ""","pages":[0,4]"""),
            TestContext.Current.CancellationToken).WaitAsync(Wait);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((false, Pico(2 * 0.001m)), (row.UsageEstimated, row.CostPico));
    }

    [Fact]
    public async Task ImageDocument_IsOnePage()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/ocr", MistralOcr("""{"type":"image_url","image_url":"data:image/png;base64,iVBORw0KGgo="}"""),
            TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Pico(0.001m), Assert.Single(await host.LedgerAsync()).CostPico);
    }
}
