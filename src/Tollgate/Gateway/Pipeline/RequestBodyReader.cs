using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Pipeline;

/// <summary>Reads a JSON request body with the gateway's size limit, content-type and syntax checks.</summary>
internal static class RequestBodyReader
{
    /// <summary>
    /// Reads and parses the body. Errors are values: 415 for a non-JSON content type, 413 past
    /// <paramref name="maxBytes"/>, 400 for malformed JSON or a body that is not an object.
    /// </summary>
    public static async Task<(JsonObject? Body, long Bytes, GatewayError? Error)> ReadJsonObjectAsync(
        HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var (bytes, error) = await ReadBodyAsync(request, maxBytes, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return (null, 0, error);
        }

        var (body, parseError) = ParseObject(bytes);
        return (body, bytes.Length, parseError);
    }

    /// <summary>
    /// Reads the body's bytes with the same checks as <see cref="ReadJsonObjectAsync"/> except the
    /// JSON syntax, which is the caller's to check.
    /// </summary>
    public static async Task<(byte[]? Bytes, GatewayError? Error)> ReadBodyAsync(
        HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType;
        if (contentType is null || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, new GatewayError(StatusCodes.Status415UnsupportedMediaType, "invalid_request_error", "unsupported_media_type",
                $"Content-Type must be application/json (got '{contentType ?? "none"}')."));
        }

        return await ReadBytesAsync(request, maxBytes, "a JSON object is expected", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the body's bytes whatever their content type: 413 past <paramref name="maxBytes"/> (from
    /// <c>Content-Length</c> before reading, or while reading), 400 for an empty body (the message says
    /// <paramref name="expected"/>).
    /// </summary>
    public static async Task<(byte[]? Bytes, GatewayError? Error)> ReadBytesAsync(
        HttpRequest request, long maxBytes, string expected, CancellationToken cancellationToken)
    {
        var tooLarge = new GatewayError(StatusCodes.Status413PayloadTooLarge, "invalid_request_error", "request_too_large",
            $"Request body is larger than the limit of {maxBytes} bytes.");
        if (request.ContentLength > maxBytes)
        {
            return (null, tooLarge);
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1, request.ContentLength + 1 ?? 16 * 1024));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        return (null, tooLarge);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                int read;
                try
                {
                    read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                }
                catch (BadHttpRequestException ex)
                {
                    // Kestrel ended the read: a body sent too slowly (408), one past its own limit (413), a broken framing (400).
                    return (null, ex.StatusCode switch
                    {
                        StatusCodes.Status408RequestTimeout => new GatewayError(ex.StatusCode, "invalid_request_error", "request_timeout",
                            "The request body was sent too slowly and the server stopped waiting for it."),
                        StatusCodes.Status413PayloadTooLarge => tooLarge,
                        _ => GatewayError.BadRequest("invalid_request", $"The request body could not be read: {ex.Message}"),
                    });
                }

                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    return (null, tooLarge);
                }
            }

            return length == 0
                ? (null, GatewayError.BadRequest("invalid_json", $"The request body is empty; {expected}."))
                : (buffer.AsSpan(0, length).ToArray(), null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Parses a body into a JSON object, or the 400 that says why it is not one.</summary>
    public static (JsonObject? Body, GatewayError? Error) ParseObject(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return JsonNode.Parse(bytes) is JsonObject obj
                ? (obj, null)
                : (null, GatewayError.BadRequest("invalid_json", "The request body must be a JSON object."));
        }
        catch (JsonException ex)
        {
            return (null, GatewayError.BadRequest("invalid_json",
                $"The request body is not valid JSON: {ex.Message.Split(" Path:", StringSplitOptions.None)[0]}"));
        }
    }
}
