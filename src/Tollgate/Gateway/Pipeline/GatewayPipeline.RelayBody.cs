using Tollgate.Budgets;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Pipeline;

/// <summary>Step 7 for a non-streamed binary answer (speech): relayed as it arrives, never held whole.</summary>
internal sealed partial class GatewayPipeline
{
    private const int RelayChunkBytes = 16 * 1024;

    /// <summary>
    /// Copies the upstream body to the client chunk by chunk (chunked transfer encoding, the
    /// upstream's content type), holding back the latest chunk: it becomes the tail, written once the
    /// attempt is settled, so a completed answer's charge is durable before its last byte goes out,
    /// as for every other answer. Once the first chunk is out there is no fallback; a failure after it
    /// can only cut the body (<see cref="WriteRelayedTailAsync"/>).
    /// </summary>
    private async Task RelayBodyAsync(
        GatewayCall call, RouteCandidate candidate, HttpResponseMessage upstream, AttemptResult result,
        CancellationTokenSource upstreamTimer, CancellationToken ct)
    {
        var response = call.Http.Response;
        var contentType = upstream.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
        await using var body = await upstream.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var held = new byte[RelayChunkBytes];
        var next = new byte[RelayChunkBytes];
        var heldLength = 0;
        while (true)
        {
            upstreamTimer.CancelAfter(options.IdleTimeout);
            var read = await body.ReadAsync(next, ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            result.ContentBytes += read;
            if (heldLength > 0)
            {
                if (!response.HasStarted)
                {
                    response.StatusCode = StatusCodes.Status200OK;
                    response.ContentType = contentType;
                    response.Headers["x-tollgate-provider"] = candidate.Endpoint.Name;
                }

                await response.Body.WriteAsync(held.AsMemory(0, heldLength), call.Http.RequestAborted).ConfigureAwait(false);
                await response.Body.FlushAsync(call.Http.RequestAborted).ConfigureAwait(false);
                call.ContentRelayed = true;
            }

            (held, next) = (next, held);
            heldLength = read;
        }

        result.Status = LedgerStatus.Ok;
        result.Tail = new Tail(StatusCodes.Status200OK, contentType, held.AsSpan(0, heldLength).ToArray(), default);
    }

    /// <summary>
    /// The end of a relayed body already under way: its held-back last bytes; after a failure, the
    /// connection is aborted so the client sees a cut answer (an error document cannot follow audio
    /// bytes), never a complete-looking one.
    /// </summary>
    private static async Task WriteRelayedTailAsync(GatewayCall call, Tail tail, CancellationToken ct)
    {
        if (tail.Status != StatusCodes.Status200OK || tail.Body is null)
        {
            call.Http.Abort();
            return;
        }

        await call.Http.Response.Body.WriteAsync(tail.Body, ct).ConfigureAwait(false);
    }
}
