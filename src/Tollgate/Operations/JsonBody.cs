using System.Text.Json;
using Tollgate.Accounts;

namespace Tollgate.Operations;

/// <summary>
/// Reads a management request body that must be one JSON object, for handlers that take the body as
/// a <see cref="JsonDocument"/> instead of a bound record. Every way a body can be wrong (another
/// media type, empty, not JSON, not UTF-8, not an object) becomes a 400 or 415 problem naming what is
/// wrong, never an exception.
/// </summary>
internal static class JsonBody
{
    /// <summary>The largest management body read (management documents are small).</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>
    /// The body as a JSON object, or the problem that refuses it. With <paramref name="optional"/> an
    /// absent body (no content) reads as an empty object.
    /// </summary>
    public static async Task<(JsonDocument? Document, IResult? Problem)> ReadObjectAsync(HttpRequest request, CancellationToken ct, bool optional = false)
    {
        var empty = request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.TransferEncoding.Any(v => v?.Length > 0));
        if (empty && optional)
        {
            return (JsonDocument.Parse("{}"), null);
        }

        if (!request.HasJsonContentType())
        {
            return (null, UnsupportedMediaType(request.ContentType));
        }

        if (empty)
        {
            return (null, AccountProblems.Validation("body", "The request body is empty; send a JSON object."));
        }

        if (request.ContentLength > MaxBytes)
        {
            return (null, TypedResults.Problem($"The request body is larger than {MaxBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large"));
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        if (buffer.Length > MaxBytes)
        {
            return (null, TypedResults.Problem($"The request body is larger than {MaxBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large"));
        }

        // JsonDocument checks UTF-8 only when a string is read, which would throw in the handler.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
        {
            return (null, AccountProblems.Validation("body", "The request body is not valid UTF-8."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            return (null, AccountProblems.Validation("body", Describe(ex)));
        }

        if (!HasReadableText(document.RootElement))
        {
            document.Dispose();
            return (null, AccountProblems.Validation("body", "The request body has a string that is not valid Unicode (a lone surrogate escape)."));
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind.ToString().ToLowerInvariant();
            document.Dispose();
            return (null, AccountProblems.Validation("body", $"The request body must be a JSON object, not {(kind == "array" ? "an" : "a")} {kind}."));
        }

        return (document, null);
    }

    // Every property name and string reads as text (an escaped lone surrogate does not).
    private static bool HasReadableText(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        if (!HasReadableText(property.Value))
                        {
                            return false;
                        }
                    }

                    return true;
                case JsonValueKind.Array:
                    return element.EnumerateArray().All(HasReadableText);
                case JsonValueKind.String:
                    _ = element.GetString();
                    return true;
                default:
                    return true;
            }
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>415 for a body that is not JSON.</summary>
    public static IResult UnsupportedMediaType(string? contentType) =>
        TypedResults.Problem(
            $"The request body must be JSON (Content-Type: application/json), not '{(string.IsNullOrEmpty(contentType) ? "none" : contentType)}'.",
            statusCode: StatusCodes.Status415UnsupportedMediaType,
            title: "Unsupported media type");

    /// <summary>What is wrong with a body that is not valid JSON, where the reader says (line and byte, no contents).</summary>
    public static string Describe(JsonException ex)
    {
        var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
        var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "" : $" at {ex.Path}";
        return ex.InnerException is InvalidOperationException or FormatException
            ? $"The request body has a value of the wrong type{path}{where}."
            : $"The request body is not valid JSON{path}{where}.";
    }
}
