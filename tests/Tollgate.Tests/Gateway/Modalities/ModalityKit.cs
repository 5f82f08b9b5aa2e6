using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text;
using OpenAI;
using Tollgate.Budgets;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary>What the modality tests share: SDK options, test media (WAV, PDF, PNG), and multipart bodies.</summary>
internal static class ModalityKit
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>The official SDK pointed at the gateway with the host's key, no retries.</summary>
    public static OpenAIClient Sdk(GatewayTestHost host, string? key = null) => new(new ApiKeyCredential(key ?? host.Key), new OpenAIClientOptions
    {
        Endpoint = host.GatewayV1,
        NetworkTimeout = Wait,
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    /// <summary>USD as pico-dollars, for expected charges written as the catalog arithmetic.</summary>
    public static long Pico(decimal usd) => Money.ToPico(usd);

    /// <summary>A silent 16-bit mono PCM WAV of <paramref name="seconds"/> at 8 kHz (16,000 bytes a second).</summary>
    public static byte[] Wav(int seconds)
    {
        const int rate = 8000, bytesPerSecond = rate * 2;
        var data = seconds * bytesPerSecond;
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true))
        {
            w.Write("RIFF"u8);
            w.Write(36 + data);
            w.Write("WAVE"u8);
            w.Write("fmt "u8);
            w.Write(16);
            w.Write((short)1);
            w.Write((short)1);
            w.Write(rate);
            w.Write(bytesPerSecond);
            w.Write((short)2);
            w.Write((short)16);
            w.Write("data"u8);
            w.Write(data);
            w.Write(new byte[data]);
        }

        return stream.ToArray();
    }

    /// <summary>A PDF of <paramref name="pages"/> blank pages, written by PDFsharp.</summary>
    public static byte[] Pdf(int pages)
    {
        using var document = new PdfSharp.Pdf.PdfDocument();
        for (var i = 0; i < pages; i++)
        {
            document.AddPage();
        }

        using var stream = new MemoryStream();
        document.Save(stream);
        return stream.ToArray();
    }

    /// <summary>A 1×1 PNG.</summary>
    public static byte[] Png() => Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=");

    /// <summary>A multipart body of text <paramref name="fields"/> and one file part.</summary>
    public static MultipartFormDataContent Form(IReadOnlyDictionary<string, string> fields, string? fileField, string fileName, byte[] file, string fileType)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        if (fileField is not null)
        {
            var content = new ByteArrayContent(file);
            content.Headers.ContentType = new MediaTypeHeaderValue(fileType);
            form.Add(content, fileField, fileName);
        }

        return form;
    }

    /// <summary>The <c>error.message</c> of an OpenAI-format error answer.</summary>
    public static async Task<string> ErrorMessageAsync(HttpResponseMessage response)
    {
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetProperty("message").GetString()!;
    }

    /// <summary>A JSON body.</summary>
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Requests that reached the fake at a path ending in <paramref name="suffix"/>.</summary>
    public static List<global::Tollgate.FakeProviders.RecordedRequest> Upstream(GatewayTestHost host, string suffix) =>
        [.. host.Fake.Requests.Where(r => r.Path.EndsWith(suffix, StringComparison.Ordinal))];
}
