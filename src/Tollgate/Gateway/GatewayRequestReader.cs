using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Gateway;

/// <summary>Reads a JSON request body with the gateway's size limit, content-type and syntax checks.</summary>
internal static class GatewayRequestReader
{
    /// <summary>
    /// Reads and parses the body. Errors are values: 415 for a non-JSON content type, 413 past
    /// <paramref name="maxBytes"/>, 400 for malformed JSON or a body that is not an object.
    /// </summary>
    public static async Task<(JsonObject? Body, long Bytes, GatewayError? Error)> ReadJsonObjectAsync(
        HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType;
        if (contentType is null || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, 0, new GatewayError(StatusCodes.Status415UnsupportedMediaType, "invalid_request_error", "unsupported_media_type",
                $"Content-Type must be application/json (got '{contentType ?? "none"}')."));
        }

        var tooLarge = new GatewayError(StatusCodes.Status413PayloadTooLarge, "invalid_request_error", "request_too_large",
            $"Request body is larger than the limit of {maxBytes} bytes.");
        if (request.ContentLength > maxBytes)
        {
            return (null, 0, tooLarge);
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
                        return (null, 0, tooLarge);
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    return (null, 0, tooLarge);
                }
            }

            if (length == 0)
            {
                return (null, 0, GatewayError.BadRequest("invalid_json", "The request body is empty; a JSON object is expected."));
            }

            try
            {
                var node = JsonNode.Parse(buffer.AsSpan(0, length));
                return node is JsonObject obj
                    ? (obj, length, null)
                    : (null, length, GatewayError.BadRequest("invalid_json", "The request body must be a JSON object."));
            }
            catch (JsonException ex)
            {
                return (null, length, GatewayError.BadRequest("invalid_json",
                    $"The request body is not valid JSON: {ex.Message.Split(" Path:", StringSplitOptions.None)[0]}"));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
