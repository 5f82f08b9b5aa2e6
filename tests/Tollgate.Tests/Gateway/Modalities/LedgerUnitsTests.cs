using System.Globalization;
using System.Net;
using Dapper;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary>
/// The ledger keeps the units a unit-priced request was billed in, each in its own column (migration
/// 0014), on SQLite and PostgreSQL; a token-billed request leaves them empty.
/// </summary>
public sealed class LedgerUnitsTests
{
    private sealed record Units(string Endpoint, long? Characters, long? Images, string? ImageVariant, long? Pages, decimal? AudioSeconds, decimal? VideoSeconds);

    private static async Task<Units> UnitsOfLastRowAsync(GatewayTestHost host, string endpoint)
    {
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        var row = (IDictionary<string, object?>)await connection.QuerySingleAsync(
            """
            SELECT endpoint, unit_characters, unit_images, unit_image_variant, unit_pages, unit_audio_seconds, unit_video_seconds
            FROM ledger WHERE endpoint = @endpoint
            """, new { endpoint });
        static long? Long(object? v) => v is null or DBNull ? null : Convert.ToInt64(v, CultureInfo.InvariantCulture);
        static decimal? Dec(object? v) => v is null or DBNull ? null : Convert.ToDecimal(v, CultureInfo.InvariantCulture);
        return new Units((string)row["endpoint"]!, Long(row["unit_characters"]), Long(row["unit_images"]), row["unit_image_variant"] as string,
            Long(row["unit_pages"]), Dec(row["unit_audio_seconds"]), Dec(row["unit_video_seconds"]));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task UnitPricedRequests_RecordTheirBilledUnitsInTheirOwnColumns_TokenBilledOnesNone(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        using var client = host.GatewayClient();
        var ct = TestContext.Current.CancellationToken;

        var speech = await client.PostAsync("v1/audio/speech", Json("""{"model":"mod-tts","input":"héllo","voice":"alloy"}"""), ct).WaitAsync(Wait);
        await speech.Content.ReadAsByteArrayAsync(ct);
        var images = await client.PostAsync("v1/images/generations",
            Json("""{"model":"mod-image","prompt":"x","size":"1024x1024","quality":"high","n":2}"""), ct).WaitAsync(Wait);
        var pdf = Convert.ToBase64String(Pdf(3));
        var ocr = await client.PostAsync("v1/ocr",
            Json("{\"model\":\"mod-ocr\",\"document\":{\"type\":\"document_url\",\"document_url\":\"data:application/pdf;base64," + pdf + "\"}}"), ct).WaitAsync(Wait);
        var transcription = await client.PostAsync("v1/audio/transcriptions",
            Form(new Dictionary<string, string> { ["model"] = "mod-whisper", ["response_format"] = "text" }, "file", "a.wav", Wav(4), "audio/wav"), ct).WaitAsync(Wait);
        var chat = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "hi"), ct).WaitAsync(Wait);

        Assert.All([speech, images, ocr, transcription, chat], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await host.WaitForLedgerAsync(5);
        Assert.Equal(new Units("audio.speech", 5, null, null, null, null, null), await UnitsOfLastRowAsync(host, "audio.speech"));
        Assert.Equal(new Units("images.generations", null, 2, "1024x1024/high", null, null, null), await UnitsOfLastRowAsync(host, "images.generations"));
        Assert.Equal(new Units("ocr", null, null, null, 3, null, null), await UnitsOfLastRowAsync(host, "ocr"));
        Assert.Equal(new Units("audio.transcriptions", null, null, null, null, 4m, null), await UnitsOfLastRowAsync(host, "audio.transcriptions"));
        Assert.Equal(new Units("chat.completions", null, null, null, null, null, null), await UnitsOfLastRowAsync(host, "chat.completions"));
    }

    [Fact]
    public void Billed_KeepsOnlyTheUnitsCharged_AndExactSeconds()
    {
        var billed = Tollgate.Gateway.Pipeline.AttemptSettlement.Billed(new Tollgate.Catalog.UnitUsage { AudioSeconds = 12.3456789m, ImageVariant = "unused" });

        Assert.Equal(new Tollgate.Budgets.BilledUnits(AudioSeconds: 12.3456789m), billed);
        Assert.Null(Tollgate.Gateway.Pipeline.AttemptSettlement.Billed(new Tollgate.Catalog.UnitUsage { Tokens = new(1, 0, 0, 1, 0) }));
    }
}
