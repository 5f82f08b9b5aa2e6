using System.Globalization;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;
using Tollgate.Hosting;
using Tollgate.Providers;

namespace Tollgate.Gateway.Pipeline;

/// <summary>
/// The one request path every billable endpoint runs. The endpoint (<see cref="IGatewayEndpoint"/>)
/// contributes its wire format; the pipeline owns identity, routing, money and the attempts:
/// <code>
/// (1) key → identity                          (2) the endpoint reads and validates the body
/// (3) route: model → candidate providers      (4) estimate the worst case over every candidate
/// (5) reserve on every cap, clamp, or deny — the only call to admission
/// for each attempt (the first, then at most 2 fallbacks before anything reached the client):
///   (6) the exchange builds the upstream request; send; read the answer or the stream through the
///       frame reader and the exchange's usage meter (translating where the formats differ)
///   (7) relay to the client, holding back the last bytes
///   (8) settle in `finally` — the only place money moves — then send the held-back bytes
/// and release whatever is still held when the request is over.
/// </code>
/// Holding back the final bytes until the ledger row is committed makes a completed request's charge
/// durable before the client sees the end of the answer. Errors are <see cref="GatewayError"/> values,
/// rendered in the endpoint's format.
/// </summary>
internal sealed partial class GatewayPipeline(
    ApiKeyAuthenticator authenticator,
    ModelRouter router,
    ProviderDirectory providers,
    Tollgate.ProviderKeys.OrgProviderKeys orgKeys,
    BudgetAdmission admission,
    AttemptSettlement settlement,
    GatewayOptions options,
    TimeProvider time,
    Tollgate.Operations.ShutdownDrain shutdown,
    ILogger<GatewayPipeline> logger)
{
    private const int MaxResponseBytes = 64 * 1024 * 1024;
    private const int MaxErrorBytes = 1024 * 1024;

    /// <summary>Runs one request of <paramref name="endpoint"/>.</summary>
    public async Task RunAsync(HttpContext context, IGatewayEndpoint endpoint)
    {
        var ct = context.RequestAborted;
        var response = context.Response;
        var startedAt = time.GetUtcNow();
        var requestId = Ids.New("req", time);
        using var telemetry = Tollgate.Telemetry.GatewayMetrics.StartRequest(context, endpoint.Name);
        response.Headers["x-tollgate-request-id"] = requestId;

        // :: Step 1: key → identity
        var auth = await authenticator.AuthenticateAsync(context.Request, ct).ConfigureAwait(false);
        if (auth.Identity is not { } identity)
        {
            await endpoint.Errors.WriteAsync(response, GatewayError.FromAuth(auth)).ConfigureAwait(false);
            return;
        }

        // :: Step 2: the endpoint reads and validates the body
        var (body, readError) = await endpoint.ReadBodyAsync(context.Request, options, ct).ConfigureAwait(false);
        var (request, parseError) = body is null ? (null, readError) : endpoint.Parse(body, context.Request);
        if (request is null)
        {
            await endpoint.Errors.WriteAsync(response, parseError!).ConfigureAwait(false);
            return;
        }

        if (await endpoint.PrepareAsync(request, identity, ct).ConfigureAwait(false) is { } prepareError)
        {
            await endpoint.Errors.WriteAsync(response, prepareError).ConfigureAwait(false);
            return;
        }

        // :: Step 3: route to the candidates this endpoint can reach, with the org's own provider keys
        IReadOnlyDictionary<string, ProviderEndpoint> orgEndpoints;
        try
        {
            orgEndpoints = await orgKeys.ForOrgAsync(identity.OrgId, ct).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException)
        {
            await endpoint.Errors.WriteAsync(response, new GatewayError(StatusCodes.Status503ServiceUnavailable, "server_error", "provider_keys_unavailable",
                "The organization's provider keys could not be read, so the request was not sent. Try again shortly.")).ConfigureAwait(false);
            return;
        }

        var (candidates, routeError) = router.Resolve(request.ModelName, endpoint.ModelKind, endpoint.Name,
            candidate => endpoint.ExchangeFor(candidate, request) is not null, startedAt, orgEndpoints);
        if (routeError is not null)
        {
            await endpoint.Errors.WriteAsync(response, routeError).ConfigureAwait(false);
            return;
        }

        // A candidate whose format cannot express the request (a translation would drop a feature) is
        // skipped; when none can, the client learns which feature.
        var expressible = candidates.Where(c => endpoint.ExchangeFor(c, request) is { RequestError: null }).ToList();
        if (expressible.Count == 0)
        {
            await endpoint.Errors.WriteAsync(response, endpoint.ExchangeFor(candidates[0], request)!.RequestError!).ConfigureAwait(false);
            return;
        }

        var noFallback = string.Equals(context.Request.Headers["x-tollgate-no-fallback"], "true", StringComparison.OrdinalIgnoreCase);
        var reachable = expressible.Take(noFallback ? 1 : options.MaxAttempts).ToList();

        // :: Step 4: the worst case over every candidate the request may reach
        var (estimate, estimateError) = WorstCase.Estimate(identity, request, reachable, body!.LongLength);
        if (estimate is null)
        {
            await endpoint.Errors.WriteAsync(response, estimateError!).ConfigureAwait(false);
            return;
        }

        // :: Step 5: reserve on every cap, clamp, or deny. The org's credits are held only when a
        // candidate served with the server's credential may be reached: the org's own keys never
        // consume credits (budgets.md), while member and key caps apply either way.
        estimate = estimate with { ConsumesCredits = reachable.Any(c => c.Endpoint.Source == CredentialSource.Server) };
        var admitted = await admission.ReserveAsync(estimate, ct).ConfigureAwait(false);
        if (admitted.Reservation is not { } reservation)
        {
            telemetry.Denied(request.ModelName, admitted.Denial!);
            await endpoint.Errors.WriteAsync(response, GatewayError.FromDenial(admitted.Denial!)).ConfigureAwait(false);
            return;
        }

        if (reservation.GrantedMaxOutputTokens is { } clamped)
        {
            response.Headers["x-tollgate-output-clamped"] = clamped.ToString(CultureInfo.InvariantCulture);
        }

        var stream = request.Stream ? new SseResponse(response, options.KeepAlive, time, reachable[0].Endpoint.Name) : null;
        telemetry.Admitted(request.ModelName, reservation, stream);
        var call = new GatewayCall(context, endpoint, identity, request, requestId, body.LongLength, reservation, stream);
        try
        {
            for (var attempt = 1; attempt <= reachable.Count; attempt++)
            {
                if (!await AttemptAsync(call, reachable[attempt - 1], attempt, isLast: attempt == reachable.Count).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            await admission.ReleaseAsync(reservation).ConfigureAwait(false);
        }
    }

    /// <summary>One provider attempt; returns true when the next candidate should be tried.</summary>
    private async Task<bool> AttemptAsync(GatewayCall call, RouteCandidate candidate, int attempt, bool isLast)
    {
        var result = new AttemptResult(time.GetUtcNow(), time.GetTimestamp());
        var ct = call.Http.RequestAborted;
        var exchange = call.Endpoint.ExchangeFor(candidate, call.Request)!;
        call.Provider = candidate.Endpoint.Name;
        if (call.Stream is { } sse)
        {
            sse.Provider = candidate.Endpoint.Name;
        }

        using var upstreamTimer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        // A shutdown whose drain is over ends the attempt like a provider that stops early.
        using var onShutdown = shutdown.Deadline.Register(static timer => ((CancellationTokenSource)timer!).Cancel(), upstreamTimer);
        using var span = Tollgate.Telemetry.GatewayMetrics.StartAttempt(candidate.Endpoint.Name, candidate.Model.Id, attempt);
        try
        {
            await SendAndRelayAsync(call, candidate, exchange, result, upstreamTimer, isLast).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            OnAttemptException(call, candidate, result, ex, upstreamTimer.IsCancellationRequested, attempt, isLast);
        }
        finally
        {
            // :: Step 8: settle — the only place money moves; it never throws
            result.Usage ??= exchange.StreamUsage;
            result.Units ??= exchange.Units;
            result.ContentBytes = Math.Max(result.ContentBytes, exchange.StreamContentBytes);
            await settlement.SettleAsync(call, candidate, attempt, result).ConfigureAwait(false);
            RecordHealth(candidate, result);
        }

        if (result.Tail is null && result.Failure is { } failure)
        {
            result.Tail = new Tail(failure.Status, "application/json", call.Endpoint.Errors.ToJson(failure), exchange.StreamFailureEvents(failure));
        }

        if (!result.TryNext && !ct.IsCancellationRequested)
        {
            try
            {
                if (result.Status == LedgerStatus.Ok)
                {
                    await call.Endpoint.OnAnsweredAsync(call, exchange, ct).ConfigureAwait(false);
                }

                await WriteTailAsync(call, candidate, result, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                // The client left after the charge was recorded; nothing more to deliver.
            }
        }

        return result.TryNext;
    }

    // :: Steps 6 and 7
    private async Task SendAndRelayAsync(
        GatewayCall call, RouteCandidate candidate, IUpstreamExchange exchange, AttemptResult result, CancellationTokenSource upstreamTimer, bool isLast)
    {
        var ct = call.Http.RequestAborted;
        using var upstreamRequest = await exchange.CreateRequestAsync(candidate, call.Reservation.GrantedMaxOutputTokens, ct).ConfigureAwait(false);

        // :: Step 6: send upstream; the upstream timeout covers the wait for the response headers, and
        // after them the idle timeout covers each wait for more of the answer
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, upstreamTimer.Token);
        upstreamTimer.CancelAfter(options.UpstreamTimeout);
        result.PromptSent = true;
        using var upstream = await providers.ClientFor(candidate.Endpoint)
            .SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
        result.HttpStatus = (int)upstream.StatusCode;
        result.HeadersReceived = true;

        if (!upstream.IsSuccessStatusCode)
        {
            // The provider refused: it charges nothing, and the client gets its answer in the endpoint's format.
            result.PromptSent = false;
            upstreamTimer.CancelAfter(options.IdleTimeout);
            var errorBody = Scrub(await ReadAllAsync(upstream.Content, MaxErrorBytes, upstreamTimer, linked.Token).ConfigureAwait(false), candidate.Endpoint);
            result.Status = LedgerStatus.UpstreamError;
            result.Error = $"HTTP {result.HttpStatus}";
            if (!isLast && !call.ContentRelayed && IsRetryable(result.HttpStatus))
            {
                result.TryNext = true;
                return;
            }

            var (clientStatus, clientBody) = exchange.ReadError(result.HttpStatus, errorBody, upstream.Headers);
            var streamed = GatewayError.Upstream(clientStatus, "upstream_error",
                $"The provider '{candidate.Endpoint.Name}' answered HTTP {result.HttpStatus}: {System.Text.Encoding.UTF8.GetString(errorBody.AsSpan(0, Math.Min(errorBody.Length, 2048)))}");
            result.Tail = new Tail(clientStatus, "application/json", clientBody, exchange.StreamFailureEvents(streamed));
            return;
        }

        if (call.Stream is null && exchange.RelaysBody)
        {
            await RelayBodyAsync(call, candidate, upstream, result, upstreamTimer, linked.Token).ConfigureAwait(false);
            return;
        }

        if (call.Stream is null)
        {
            upstreamTimer.CancelAfter(options.IdleTimeout);
            var bytes = await ReadAllAsync(upstream.Content, MaxResponseBytes, upstreamTimer, linked.Token).ConfigureAwait(false);
            var answer = exchange.ReadAnswer(bytes);
            result.Usage = answer.Usage;
            result.Units = answer.Units;
            result.ContentBytes = answer.ContentBytes;
            result.Deferred = answer.Deferred;
            if (answer.Failure is { } refused)
            {
                // A 200 that is a refusal (a blocked prompt): charged as reported, answered as the error.
                result.Status = LedgerStatus.UpstreamError;
                result.Error = refused.Message;
                result.Tail = new Tail(refused.Status, "application/json", call.Endpoint.Errors.ToJson(refused), default);
                return;
            }

            result.Status = LedgerStatus.Ok;
            result.Tail = new Tail(StatusCodes.Status200OK, answer.ContentType ?? "application/json", answer.ClientBody, default);
            return;
        }

        // :: Step 7: relay the stream, reading usage as it passes
        await RelayStreamAsync(call, candidate, exchange, upstream, result, upstreamTimer, linked.Token).ConfigureAwait(false);
    }

    private async Task RelayStreamAsync(
        GatewayCall call, RouteCandidate candidate, IUpstreamExchange exchange, HttpResponseMessage upstream, AttemptResult result,
        CancellationTokenSource upstreamTimer, CancellationToken ct)
    {
        var sse = call.Stream!;
        await using var body = await upstream.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var frames = exchange.OpenStream(body, options.MaxStreamEventBytes);
        var output = new System.Buffers.ArrayBufferWriter<byte>(4096);
        while (true)
        {
            upstreamTimer.CancelAfter(options.IdleTimeout);
            var status = await frames.ReadAsync(ct).ConfigureAwait(false);
            if (status == FrameReadStatus.EventTooLarge)
            {
                result.Status = LedgerStatus.Failed;
                result.Error = "stream event too large";
                result.SetFailure(GatewayError.Upstream(StatusCodes.Status502BadGateway, "stream_event_too_large",
                    $"The provider '{candidate.Endpoint.Name}' sent a stream event larger than {options.MaxStreamEventBytes} bytes."));
                return;
            }

            if (status == FrameReadStatus.End)
            {
                result.Status = LedgerStatus.Failed;
                result.Error = "stream ended before its end event";
                result.SetFailure(GatewayError.Upstream(StatusCodes.Status502BadGateway, "stream_interrupted",
                    $"The provider '{candidate.Endpoint.Name}' ended the stream unexpectedly."));
                return;
            }

            var done = false;
            output.ResetWrittenCount();
            while (!done && exchange.StreamFailure is null && frames.TryTakeEvent(out var ev))
            {
                done = exchange.OnEvent(ev, output);
            }

            if (output.WrittenCount > 0)
            {
                await sse.WriteAsync(output.WrittenMemory, call.Http.RequestAborted).ConfigureAwait(false);
                call.ContentRelayed = true;
            }

            if (exchange.StreamFailure is { } failure)
            {
                result.Status = LedgerStatus.Failed;
                result.Error = failure.Message;
                result.SetFailure(failure);
                return;
            }

            if (done)
            {
                result.Status = LedgerStatus.Ok;
                result.Tail = new Tail(StatusCodes.Status200OK, null, null, exchange.StreamCompletion);
                return;
            }
        }
    }

    private void OnAttemptException(GatewayCall call, RouteCandidate candidate, AttemptResult result, Exception ex, bool timerFired, int attempt, bool isLast)
    {
        if (call.Http.RequestAborted.IsCancellationRequested)
        {
            // The client went away: upstream is cancelled with it, and what was produced is charged.
            result.Status = LedgerStatus.Cancelled;
            result.Error = "client disconnected";
            return;
        }

        if (ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError })
        {
            result.PromptSent = false; // never reached the provider
        }

        if (ex is HttpRequestException { StatusCode: { } refusedWith } && !result.HeadersReceived)
        {
            // The provider's credential was refused before the request went out (an OAuth token
            // endpoint): answered with that status, like a provider refusing a key.
            result.PromptSent = false;
            result.Status = LedgerStatus.UpstreamError;
            result.HttpStatus = (int)refusedWith;
            result.Error = ex.Message;
            LogAttemptFailed(logger, ex, candidate.Endpoint.Name, call.RequestId, attempt);
            if (!isLast && !call.ContentRelayed)
            {
                result.TryNext = true;
                return;
            }

            result.SetFailure(GatewayError.Upstream((int)refusedWith, "provider_credential_refused",
                $"The provider '{candidate.Endpoint.Name}' refused the credential: {ex.Message}"));
            return;
        }

        if (shutdown.IsOver)
        {
            result.Status = LedgerStatus.Failed;
            result.Error = "server shutting down";
            result.SetFailure(new GatewayError(StatusCodes.Status503ServiceUnavailable, "server_error", "server_shutting_down",
                "The server is shutting down and ended the answer; send the request again."));
            return;
        }

        var idle = timerFired && result.HeadersReceived;
        var timedOut = timerFired && !result.HeadersReceived;
        result.Status = LedgerStatus.Failed;
        result.Error = idle ? "upstream idle timeout" : timedOut ? "upstream timeout" : ex.Message;
        LogAttemptFailed(logger, ex, candidate.Endpoint.Name, call.RequestId, attempt);
        if (!isLast && !call.ContentRelayed && !result.HeadersReceived)
        {
            result.TryNext = true;
            return;
        }

        var name = candidate.Endpoint.Name;
        result.SetFailure(idle
            ? GatewayError.Upstream(StatusCodes.Status504GatewayTimeout, "stream_idle_timeout",
                $"The provider '{name}' sent nothing for {options.IdleTimeout.TotalSeconds:0} seconds; the stream was ended.")
            : timedOut
                ? GatewayError.Upstream(StatusCodes.Status504GatewayTimeout, "upstream_timeout", $"The provider '{name}' did not answer in time.")
                : GatewayError.Upstream(StatusCodes.Status502BadGateway, "upstream_unreachable", $"The provider '{name}' failed: {Scrub(ex.Message, candidate.Endpoint)}"));
    }

    private static async Task WriteTailAsync(GatewayCall call, RouteCandidate candidate, AttemptResult result, CancellationToken ct)
    {
        var tail = result.Tail;
        if (tail is null)
        {
            return;
        }

        if (call.Stream is { } sse)
        {
            // Before anything went out the client gets a plain answer with the real status (an SDK
            // reads it as the error it is); after that, the endpoint's terminal events.
            await sse.FinishAsync(tail.StreamBytes, tail.Body is null ? null : (tail.Status, tail.ContentType!, tail.Body), ct).ConfigureAwait(false);
            return;
        }

        var response = call.Http.Response;
        if (response.HasStarted)
        {
            // A relayed body (binary audio) is under way: its last bytes, or a failure that can only cut it.
            await WriteRelayedTailAsync(call, tail, ct).ConfigureAwait(false);
            return;
        }

        response.StatusCode = tail.Status;
        response.ContentType = tail.ContentType ?? "application/json";
        response.ContentLength = tail.Body!.Length;
        response.Headers["x-tollgate-provider"] = candidate.Endpoint.Name;
        await response.Body.WriteAsync(tail.Body, ct).ConfigureAwait(false);
    }

    private async Task<byte[]> ReadAllAsync(HttpContent content, int limit, CancellationTokenSource idleTimer, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream(content.Headers.ContentLength is { } n && n <= limit ? (int)n : 4096);
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw new IOException($"The provider's response is larger than {limit} bytes.");
                }

                buffer.Write(chunk, 0, read);
                idleTimer.CancelAfter(options.IdleTimeout);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static bool IsRetryable(int status) => status is 408 or 429 or >= 500;

    /// <summary>
    /// Feeds the attempt's outcome to the routing health: a 5xx, 429, timeout or connection failure
    /// counts against the mapping; an answer counts for it; a client's own error or leaving says nothing.
    /// </summary>
    private void RecordHealth(RouteCandidate candidate, AttemptResult result)
    {
        var failed = result.Status switch
        {
            LedgerStatus.Ok => false,
            LedgerStatus.UpstreamError when IsRetryable(result.HttpStatus) => true,
            LedgerStatus.Failed => true,
            _ => (bool?)null,
        };
        if (failed is { } f)
        {
            router.Health.Record(MappingHealth.Key(candidate.Mapping.Provider, candidate.Mapping.ProviderModelId), f);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} failed for request {RequestId}, attempt {Attempt}")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, string provider, string requestId, int attempt);
}
