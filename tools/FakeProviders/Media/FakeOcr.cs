using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Media;

/// <summary>
/// <c>POST /v1/ocr</c> as Mistral answers it: <c>pages</c> (index, markdown, images, dimensions),
/// <c>model</c>, <c>document_annotation</c> and <c>usage_info</c> (<c>pages_processed</c>,
/// <c>doc_size_bytes</c>) unless <c>omit_usage</c>. The page count: the request's <c>pages</c>
/// list; else a base64 PDF's <c>/Type /Page</c> objects; else an image is one page; else a
/// <c>pages=N</c> in a document URL's query, or 2.
/// </summary>
internal static partial class FakeOcr
{
    public static Task<FakeStats.Outcome> AnswerAsync(MediaApi.Call call, JsonElement request)
    {
        if (!request.TryGetProperty("document", out var document) || document.ValueKind != JsonValueKind.Object)
        {
            return FailAsync(call);
        }

        long docBytes = 0;
        int pages;
        var type = document.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type == "image_url")
        {
            pages = 1;
        }
        else if (type == "document_url" && document.TryGetProperty("document_url", out var u) && u.GetString() is { } url)
        {
            if (url.StartsWith("data:", StringComparison.Ordinal) && url.IndexOf(',', StringComparison.Ordinal) is var comma and > 0)
            {
                var bytes = Convert.FromBase64String(url[(comma + 1)..]);
                docBytes = bytes.Length;
                pages = Math.Max(1, PageObject().Count(Encoding.Latin1.GetString(bytes)));
            }
            else
            {
                var match = PagesQuery().Match(url);
                pages = match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 2;
            }
        }
        else if (type == "file")
        {
            pages = 2;
        }
        else
        {
            return FailAsync(call);
        }

        var indexes = request.TryGetProperty("pages", out var listed) && listed.ValueKind == JsonValueKind.Array
            ? listed.EnumerateArray().Select(p => p.GetInt32()).Where(p => p < pages).Distinct().ToList()
            : Enumerable.Range(0, pages).ToList();
        return MediaApi.WriteJsonAsync(call, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("pages"u8);
            foreach (var index in indexes)
            {
                json.WriteStartObject();
                json.WriteNumber("index"u8, index);
                json.WriteString("markdown"u8, $"# Page {index + 1}\n\nFake text.");
                json.WriteStartArray("images"u8);
                json.WriteEndArray();
                json.WriteStartObject("dimensions"u8);
                json.WriteNumber("dpi"u8, 200);
                json.WriteNumber("height"u8, 2200);
                json.WriteNumber("width"u8, 1700);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("model"u8, "mistral-ocr-fake-completion");
            json.WriteNull("document_annotation"u8);
            if (!call.Knobs.OmitUsage)
            {
                json.WriteStartObject("usage_info"u8);
                json.WriteNumber("pages_processed"u8, indexes.Count);
                json.WriteNumber("doc_size_bytes"u8, docBytes);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        });
    }

    private static async Task<FakeStats.Outcome> FailAsync(MediaApi.Call call)
    {
        var error = OpenAIError.BadRequest("document: a document_url, image_url or file chunk is required", "document", null) with { Status = StatusCodes.Status422UnprocessableEntity };
        await error.WriteAsync(call.Http.Response, call.Aborted);
        return FakeStats.Outcome.Failed;
    }

    [GeneratedRegex(@"/Type\s*/Page(?![s\w])")]
    private static partial Regex PageObject();

    [GeneratedRegex(@"[?&]pages=(\d{1,4})")]
    private static partial Regex PagesQuery();
}
