using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// A request the translators cannot carry: thrown inside a reader or writer and turned into the
/// 400 value at the format's boundary, so the deep parsing code stays linear.
/// </summary>
internal sealed class TranslationException(GatewayError error) : Exception(error.Message)
{
    /// <summary>The 400 to answer with.</summary>
    public GatewayError Error { get; } = error;

    /// <summary>A feature the other format cannot express (or the gateway cannot carry).</summary>
    public static TranslationException Unsupported(string feature, string param) =>
        new(GatewayError.BadRequest("unsupported_feature", $"{feature} cannot be translated between API formats; send it to a model served natively by this endpoint's format.", param));

    /// <summary>A field of the wrong shape.</summary>
    public static TranslationException Invalid(string message, string param) =>
        new(GatewayError.BadRequest("invalid_request", message, param));
}

/// <summary>JSON helpers shared by the wire formats.</summary>
internal static class WireJson
{
    /// <summary>
    /// Writer options for everything the translators write: text is read by JSON parsers, never
    /// embedded in HTML, so only what JSON requires is escaped (smaller and faster than the default).
    /// </summary>
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The schema a tool without parameters is given where the target requires one.</summary>
    public static readonly JsonElement EmptyObjectSchema = Parse("{\"type\":\"object\",\"properties\":{}}"u8);

    /// <summary>
    /// Parses a whole body into an element that owns its memory (no pooled document to dispose),
    /// so parts such as tool schemas can live in the internal form.
    /// </summary>
    public static JsonElement Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>Parses a request body, or the 400 for malformed JSON or a body that is not an object.</summary>
    public static JsonElement ParseRequest(ReadOnlySpan<byte> json)
    {
        JsonElement root;
        try
        {
            root = Parse(json);
        }
        catch (JsonException)
        {
            throw new TranslationException(GatewayError.BadRequest("invalid_json", "The request body is not valid JSON."));
        }

        return root.ValueKind == JsonValueKind.Object
            ? root
            : throw new TranslationException(GatewayError.BadRequest("invalid_json", "The request body must be a JSON object."));
    }

    /// <summary>A property that is present and not null.</summary>
    public static bool Has(this JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>A string property, or null when absent or null; a 400 when of another type.</summary>
    public static string? Str(this JsonElement obj, string name, string? param = null)
    {
        if (!obj.Has(name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw TranslationException.Invalid($"'{param ?? name}' must be a string.", param ?? name);
    }

    /// <summary>A required string property.</summary>
    public static string ReqStr(this JsonElement obj, string name, string param) =>
        obj.Str(name, param) ?? throw TranslationException.Invalid($"'{param}' is required.", param);

    /// <summary>A number property, or null.</summary>
    public static double? Num(this JsonElement obj, string name) =>
        !obj.Has(name, out var value) ? null
        : value.ValueKind == JsonValueKind.Number ? value.GetDouble()
        : throw TranslationException.Invalid($"'{name}' must be a number.", name);

    /// <summary>A whole-number property, or null.</summary>
    public static long? Long(this JsonElement obj, string name) =>
        !obj.Has(name, out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n
        : throw TranslationException.Invalid($"'{name}' must be an integer.", name);

    /// <summary>A boolean property, or null.</summary>
    public static bool? Bool(this JsonElement obj, string name) =>
        !obj.Has(name, out var value) ? null
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean()
        : throw TranslationException.Invalid($"'{name}' must be a boolean.", name);

    /// <summary>A non-negative count from a usage object (0 when absent or malformed).</summary>
    public static long Count(this JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0 ? n : 0;

    /// <summary>The array of an array property (empty when absent or null); a 400 when of another type.</summary>
    public static JsonElement.ArrayEnumerator Array(this JsonElement obj, string name) =>
        !obj.Has(name, out var value) ? default
        : value.ValueKind == JsonValueKind.Array ? value.EnumerateArray()
        : throw TranslationException.Invalid($"'{name}' must be an array.", name);

    /// <summary>Fails when a field the internal form cannot carry is present (and not null).</summary>
    public static void RefuseIfPresent(this JsonElement obj, string name, string? feature = null, string? param = null)
    {
        if (obj.Has(name, out _))
        {
            throw TranslationException.Unsupported(feature ?? $"'{name}'", param ?? name);
        }
    }

    /// <summary>Writes a JSON value given as text (tool arguments), or a 400 when it is not valid JSON.</summary>
    public static void WriteRawObject(Utf8JsonWriter json, string text, string param)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            // OpenAI models send "" for a call without arguments.
            json.WriteStartObject();
            json.WriteEndObject();
            return;
        }

        try
        {
            json.WriteRawValue(text);
        }
        catch (JsonException)
        {
            throw TranslationException.Invalid("Tool call arguments must be a JSON object.", param);
        }
        catch (ArgumentException)
        {
            throw TranslationException.Invalid("Tool call arguments must be a JSON object.", param);
        }
    }

    /// <summary>Writes a JSON object into a new array (a request or response body).</summary>
    public static byte[] Write<TState>(TState state, Action<Utf8JsonWriter, TState> write, int sizeHint = 1024)
    {
        var buffer = new ArrayBufferWriter<byte>(sizeHint);
        using (var json = new Utf8JsonWriter(buffer, Options))
        {
            write(json, state);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Splits a <c>data:</c> URL into its media type and base64 payload; null for other URLs.</summary>
    public static (string MediaType, string Base64)? ParseDataUrl(string url, string param)
    {
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var comma = url.IndexOf(',', StringComparison.Ordinal);
        var header = comma < 0 ? string.Empty : url[5..comma];
        if (comma < 0 || !header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            throw TranslationException.Invalid("An image data URL must be base64: data:<media type>;base64,<data>.", param);
        }

        return (header[..^7], url[(comma + 1)..]);
    }

    /// <summary>An image as a URL: the original URL, or a data URL made of the inline bytes.</summary>
    public static string ImageUrl(ImagePart image) =>
        image.Url ?? $"data:{image.MediaType};base64,{image.Base64Data}";

    /// <summary>UTF-8 byte count of generated text, for an estimate when no usage arrives.</summary>
    public static long Utf8Length(string? text) => text is null ? 0 : Encoding.UTF8.GetByteCount(text);

    /// <summary>The text of a list of parts, joined (images refused where only text fits).</summary>
    public static string JoinText(List<ContentPart> parts, string separator, string param, string what)
    {
        if (parts.Count == 1 && parts[0] is TextPart single)
        {
            return single.Text;
        }

        var sb = new StringBuilder();
        foreach (var part in parts)
        {
            if (part is not TextPart text)
            {
                throw TranslationException.Unsupported($"{what} other than text", param);
            }

            if (sb.Length > 0)
            {
                sb.Append(separator);
            }

            sb.Append(text.Text);
        }

        return sb.ToString();
    }

    /// <summary>
    /// The sampling settings every provider format carries, each under the format's own names:
    /// <c>temperature</c>, nucleus sampling (<paramref name="topP"/>: <c>top_p</c>, <c>topP</c>) and the stop
    /// sequences (<paramref name="stop"/>: <c>stop</c>, <c>stop_sequences</c>, <c>stopSequences</c>; none
    /// written when there are none, and never for a format without them).
    /// </summary>
    public static void WriteSampling(Utf8JsonWriter json, ChatTurn turn, ReadOnlySpan<byte> topP, ReadOnlySpan<byte> stop)
    {
        if (turn.Temperature is { } temperature)
        {
            json.WriteNumber("temperature"u8, temperature);
        }

        if (turn.TopP is { } nucleus)
        {
            json.WriteNumber(topP, nucleus);
        }

        if (turn.Stop.Count > 0 && !stop.IsEmpty)
        {
            json.WriteStartArray(stop);
            foreach (var sequence in turn.Stop)
            {
                json.WriteStringValue(sequence);
            }

            json.WriteEndArray();
        }
    }

    /// <summary>Usage, summed when both halves exist (stream start and end carry different parts).</summary>
    public static TokenUsage Usage(long input, long cached, long cacheWrite, long output, long reasoning) =>
        new(Math.Max(0, input), Math.Max(0, cached), Math.Max(0, cacheWrite), Math.Max(0, output), Math.Max(0, reasoning));

    /// <summary>The id of an answer in a format's style, from the provider's id: <c>chatcmpl-</c>, <c>msg_</c>, <c>resp_</c>.</summary>
    public static string ClientId(string prefix, string providerId)
    {
        var core = providerId;
        foreach (var known in KnownIdPrefixes)
        {
            if (core.StartsWith(known, StringComparison.Ordinal))
            {
                core = core[known.Length..];
                break;
            }
        }

        return core.Length == 0 ? prefix + "0" : prefix + core;
    }

    private static readonly string[] KnownIdPrefixes = ["chatcmpl-", "msg_", "resp_"];
}
