using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Media;

/// <summary>
/// <c>POST /v1/images/generations</c> and <c>/v1/images/edits</c> as OpenAI answers them:
/// <c>n</c> images as <c>b64_json</c> (a 1×1 PNG) or <c>url</c> (<c>response_format</c>), the
/// <c>size</c> and <c>quality</c> echoed, and a token <c>usage</c> (prompt words plus 100 tokens per
/// input image in, 1,000 tokens per image out) unless <c>omit_usage</c>.
/// </summary>
internal static class FakeImages
{
    /// <summary>A 1×1 transparent PNG.</summary>
    public const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

    /// <summary>Output tokens the fake reports per image.</summary>
    public const int OutputTokensPerImage = 1000;

    /// <summary>Input tokens the fake reports per input image (edits).</summary>
    public const int InputTokensPerImage = 100;

    public static Task<FakeStats.Outcome> GenerateAsync(MediaApi.Call call, JsonElement request) =>
        AnswerAsync(call,
            Text(request, "prompt") ?? "",
            request.TryGetProperty("n", out var n) && n.TryGetInt32(out var count) ? count : 1,
            Text(request, "size"), Text(request, "quality"), Text(request, "response_format"), 0);

    public static Task<FakeStats.Outcome> EditAsync(MediaApi.Call call, IFormCollection form)
    {
        var images = form.Files.Count(f => f.Name is "image" or "image[]");
        if (images == 0)
        {
            return FailAsync(call, OpenAIError.BadRequest("Missing required parameter: 'image'.", "image", "missing_required_parameter"));
        }

        return AnswerAsync(call, form["prompt"].ToString(), int.TryParse(form["n"], out var n) ? n : 1,
            NullIfEmpty(form["size"]), NullIfEmpty(form["quality"]), NullIfEmpty(form["response_format"]), images);
    }

    private static async Task<FakeStats.Outcome> FailAsync(MediaApi.Call call, OpenAIError error)
    {
        await error.WriteAsync(call.Http.Response, call.Aborted);
        return FakeStats.Outcome.Failed;
    }

    private static Task<FakeStats.Outcome> AnswerAsync(MediaApi.Call call, string prompt, int n, string? size, string? quality, string? format, int inputImages)
    {
        if (n is < 1 or > 10)
        {
            return FailAsync(call, OpenAIError.BadRequest($"{n} is not in [1, 10] - 'n'", "n", "invalid_value"));
        }

        var baseUrl = $"{call.Http.Request.Scheme}://{call.Http.Request.Host}";
        return MediaApi.WriteJsonAsync(call, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("created"u8, call.Time.GetUtcNow().ToUnixTimeSeconds());
            json.WriteStartArray("data"u8);
            for (var i = 0; i < n; i++)
            {
                json.WriteStartObject();
                if (format == "url")
                {
                    json.WriteString("url"u8, $"{baseUrl}/files/image-{i}.png");
                }
                else
                {
                    json.WriteString("b64_json"u8, Png);
                }

                json.WriteString("revised_prompt"u8, prompt);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (size is not null)
            {
                json.WriteString("size"u8, size);
            }

            if (quality is not null)
            {
                json.WriteString("quality"u8, quality);
            }

            if (!call.Knobs.OmitUsage)
            {
                var input = MediaApi.Tokens(prompt) + (inputImages * InputTokensPerImage);
                json.WriteStartObject("usage"u8);
                json.WriteNumber("input_tokens"u8, input);
                json.WriteNumber("output_tokens"u8, n * OutputTokensPerImage);
                json.WriteNumber("total_tokens"u8, input + (n * OutputTokensPerImage));
                json.WriteStartObject("input_tokens_details"u8);
                json.WriteNumber("text_tokens"u8, MediaApi.Tokens(prompt));
                json.WriteNumber("image_tokens"u8, inputImages * InputTokensPerImage);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        });
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 || value.ToString().Length == 0 ? null : value.ToString();
}
