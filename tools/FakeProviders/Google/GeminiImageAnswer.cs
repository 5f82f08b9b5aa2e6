using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Google;

/// <summary>
/// Gemini image generation: a <c>generateContent</c> request whose <c>generationConfig.responseModalities</c>
/// names <c>IMAGE</c> is answered with one candidate holding one <c>inlineData</c> PNG part, and
/// <c>usageMetadata</c> whose <c>candidatesTokensDetails</c> counts <see cref="ImageTokens"/> of modality
/// <c>IMAGE</c> (omitted with the omit_usage knob). The prompt's tokens are the body's bytes / 4.
/// </summary>
internal static class GeminiImageAnswer
{
    /// <summary>The tokens the fake reports for one generated image.</summary>
    public const int ImageTokens = 1290;

    /// <summary>A 1×1 PNG, base64: the image the fake makes.</summary>
    public const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

    /// <summary>True when the request asks for images only (text and images together is a chat answer, <see cref="GeminiAnswer"/>).</summary>
    public static bool Requested(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("generationConfig", out var config) && config.ValueKind == JsonValueKind.Object
                && GeminiRequest.Modalities(config) is var modalities && modalities.Contains("IMAGE") && !modalities.Contains("TEXT");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A part's <c>inlineData</c>: the fake's PNG.</summary>
    public static void WriteInlinePng(Utf8JsonWriter json)
    {
        json.WriteStartObject("inlineData"u8);
        json.WriteString("mimeType"u8, "image/png"u8);
        json.WriteString("data"u8, Png);
        json.WriteEndObject();
    }

    /// <summary><c>candidatesTokensDetails</c> as Gemini splits the candidates' tokens by modality: the text's (when any), then one image's.</summary>
    public static void WriteCandidatesDetails(Utf8JsonWriter json, int textTokens)
    {
        json.WriteStartArray("candidatesTokensDetails"u8);
        if (textTokens > 0)
        {
            json.WriteStartObject();
            json.WriteString("modality"u8, "TEXT"u8);
            json.WriteNumber("tokenCount"u8, textTokens);
            json.WriteEndObject();
        }

        json.WriteStartObject();
        json.WriteString("modality"u8, "IMAGE"u8);
        json.WriteNumber("tokenCount"u8, ImageTokens);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    public static async Task<FakeStats.Outcome> WriteAsync(HttpContext context, string id, string model, int promptTokens, bool omitUsage, CancellationToken aborted)
    {
        var response = context.Response;
        response.ContentType = "application/json; charset=UTF-8";
        using (var json = new Utf8JsonWriter(response.BodyWriter, OpenAIError.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartArray("candidates"u8);
            json.WriteStartObject();
            json.WriteStartObject("content"u8);
            json.WriteString("role"u8, "model"u8);
            json.WriteStartArray("parts"u8);
            json.WriteStartObject();
            WriteInlinePng(json);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString("finishReason"u8, "STOP"u8);
            json.WriteNumber("index"u8, 0);
            json.WriteEndObject();
            json.WriteEndArray();
            if (!omitUsage)
            {
                json.WriteStartObject("usageMetadata"u8);
                json.WriteNumber("promptTokenCount"u8, promptTokens);
                json.WriteNumber("candidatesTokenCount"u8, ImageTokens);
                json.WriteNumber("totalTokenCount"u8, promptTokens + ImageTokens);
                json.WriteStartArray("promptTokensDetails"u8);
                json.WriteStartObject();
                json.WriteString("modality"u8, "TEXT"u8);
                json.WriteNumber("tokenCount"u8, promptTokens);
                json.WriteEndObject();
                json.WriteEndArray();
                WriteCandidatesDetails(json, textTokens: 0);
                json.WriteEndObject();
            }

            json.WriteString("modelVersion"u8, model);
            json.WriteString("responseId"u8, id);
            json.WriteEndObject();
        }

        return await FakeExchange.FlushAsync(response.BodyWriter, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }
}
