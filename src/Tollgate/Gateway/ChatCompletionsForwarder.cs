using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Hosting;
using Tollgate.Providers;
using Tollgate.Providers.OpenAI;

namespace Tollgate.Gateway;

/// <summary>
/// <c>POST /v1/chat/completions</c> to OpenAI-compatible providers. The request path:
/// <code>
/// (1) key → identity          (2) read and validate the body     (3) route: model → providers
/// (4) estimate the worst case and reserve on every cap, or deny
/// for each provider attempt (first, then at most 2 fallbacks before any event reached the client):
///   (5) send upstream          (6) relay, reading usage as it passes; hold back the last bytes
///   (7) settle in `finally` — the only place money moves; the last attempt's settlement also
///       releases the rest of the reservation — then send the held-back bytes
/// (8) release whatever is still held (paths where no attempt settled)
/// </code>
/// Holding back the final bytes until the ledger row is committed makes a completed request's
/// charge durable before the client sees the end of the answer.
/// </summary>
internal sealed partial class ChatCompletionsForwarder(
    ApiKeyAuthenticator authenticator,
    ModelRouter router,
    ProviderDirectory providers,
    BudgetAdmission admission,
    GatewayOptions options,
    TimeProvider time,
    ILogger<ChatCompletionsForwarder> logger)
{
    private const string EndpointName = "chat.completions";
    private const int MaxResponseBytes = 64 * 1024 * 1024;
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Handles one request.</summary>
    public async Task ForwardAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var response = context.Response;
        var startedAt = time.GetUtcNow();
        var requestId = Ids.New("req", time);
        response.Headers["x-tollgate-request-id"] = requestId;

        // :: Step 1: key → identity
        var auth = await authenticator.AuthenticateAsync(context.Request, ct).ConfigureAwait(false);
        if (auth.Identity is not { } identity)
        {
            await OpenAIErrors.WriteAsync(response, GatewayError.FromAuth(auth)).ConfigureAwait(false);
            return;
        }

        // :: Step 2: read and validate the body
        var (body, readError) = await GatewayRequestReader.ReadBodyAsync(context.Request, options.MaxRequestBytes, ct).ConfigureAwait(false);
        var (request, validationError) = body is null ? (null, readError) : ChatRequest.From(body);
        var requestBytes = body?.LongLength ?? 0;
        if (request is null)
        {
            await OpenAIErrors.WriteAsync(response, validationError!).ConfigureAwait(false);
            return;
        }

        // :: Step 3: route
        var (candidates, routeError) = router.ResolveChat(request.ModelName, startedAt);
        if (routeError is not null)
        {
            await OpenAIErrors.WriteAsync(response, routeError).ConfigureAwait(false);
            return;
        }

        // :: Step 4: estimate the worst case and reserve
        var attempts = Math.Min(options.MaxAttempts, candidates.Count);
        var inputBound = CostEstimator.InputTokenBound(requestBytes);
        var maxOutput = request.MaxOutputTokens ?? candidates[0].Model.MaxOutputTokens ?? 4096;
        // The hold must cover whichever candidate ends up answering.
        var worst = 0L;
        for (var i = 0; i < attempts; i++)
        {
            worst = Math.Max(worst, CostEstimator.WorstCasePico(candidates[i].Price, inputBound, maxOutput));
        }

        var admitted = await admission.ReserveAsync(
            new AdmissionRequest(identity, "llm", candidates[0].Model.Id, candidates[0].Price, inputBound, maxOutput, worst), ct).ConfigureAwait(false);
        if (admitted.Reservation is not { } reservation)
        {
            await OpenAIErrors.WriteAsync(response, GatewayError.FromDenial(admitted.Denial!)).ConfigureAwait(false);
            return;
        }

        if (reservation.GrantedMaxOutputTokens is { } clamped)
        {
            response.Headers["x-tollgate-output-clamped"] = clamped.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var stream = request.Stream ? new SseResponse(response, options.KeepAlive, time) : null;
        var call = new CallContext(context, identity, request, requestId, startedAt, requestBytes, reservation, stream);
        try
        {
            for (var attempt = 1; attempt <= attempts; attempt++)
            {
                if (!await AttemptAsync(call, candidates[attempt - 1], attempt, isLast: attempt == attempts).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        finally
        {
            // :: Step 8: release what is still held
            await admission.ReleaseAsync(reservation).ConfigureAwait(false);
        }
    }

    /// <summary>One provider attempt; returns true when the next provider should be tried.</summary>
    private async Task<bool> AttemptAsync(CallContext call, RouteCandidate candidate, int attempt, bool isLast)
    {
        var started = time.GetTimestamp();
        var startedAt = time.GetUtcNow();
        var result = new AttemptResult();
        var ct = call.Http.RequestAborted;
        try
        {
            await SendAndRelayAsync(call, candidate, result, isLast).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            if (ct.IsCancellationRequested)
            {
                // The client went away: upstream is cancelled with it, and what was produced is charged.
                result.Status = LedgerStatus.Cancelled;
                result.Error = "client disconnected";
            }
            else
            {
                var timedOut = ex is OperationCanceledException;
                result.Status = LedgerStatus.Failed;
                result.Error = timedOut ? "upstream timeout" : ex.Message;
                LogAttemptFailed(logger, ex, candidate.Endpoint.Name, call.RequestId, attempt);
                if (!isLast && !call.EventsRelayed)
                {
                    result.TryNext = true;
                }
                else
                {
                    var error = new GatewayError(
                        timedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway,
                        "upstream_error",
                        timedOut ? "upstream_timeout" : "upstream_unreachable",
                        timedOut
                            ? $"The provider '{candidate.Endpoint.Name}' did not answer in time."
                            : $"The provider '{candidate.Endpoint.Name}' failed: {Scrub(ex.Message, candidate.Endpoint.ApiKey)}");
                    result.SetErrorTail(error, call.Stream);
                }
            }
        }
        finally
        {
            // :: Step 7: settle — the only place money moves
            await SettleAsync(call, candidate, attempt, result, startedAt, started).ConfigureAwait(false);
        }

        if (result.Tail is { } tail && !ct.IsCancellationRequested)
        {
            try
            {
                await WriteTailAsync(call, candidate, tail, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                // The client left after the charge was recorded; nothing more to deliver.
            }
        }

        return result.TryNext;
    }

    // :: Steps 5 and 6
    private async Task SendAndRelayAsync(CallContext call, RouteCandidate candidate, AttemptResult result, bool isLast)
    {
        var ct = call.Http.RequestAborted;
        var endpoint = candidate.Endpoint;
        using var upstreamRequest = new HttpRequestMessage(HttpMethod.Post, endpoint.BaseUrl + "/chat/completions")
        {
            Content = new ByteArrayContent(call.Request.ToUpstreamBody(candidate.Mapping.ProviderModelId, endpoint.Name, call.Reservation.GrantedMaxOutputTokens)),
        };
        upstreamRequest.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (endpoint.ApiKey is not null)
        {
            upstreamRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.ApiKey);
        }

        // :: Step 5: send upstream; the timeout covers the wait for response headers only
        using var timeout = new CancellationTokenSource(options.UpstreamTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var sending = providers.ClientFor(endpoint).SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead, linked.Token);
        using var upstream = call.Stream is { } sse
            ? await sse.AwaitWithKeepAliveAsync(sending, endpoint.Name, ct).ConfigureAwait(false)
            : await sending.ConfigureAwait(false);
        timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        result.HttpStatus = (int)upstream.StatusCode;

        if (!upstream.IsSuccessStatusCode)
        {
            var errorBody = await ReadBoundedAsync(upstream.Content, 1024 * 1024, ct).ConfigureAwait(false);
            var info = OpenAIUsageReader.Inspect(errorBody);
            result.Usage = info.HasUsage ? info.Usage : null;
            result.Status = LedgerStatus.UpstreamError;
            result.Error = $"HTTP {result.HttpStatus}";
            if (!isLast && !call.EventsRelayed && IsRetryable(result.HttpStatus))
            {
                result.TryNext = true;
                return;
            }

            var scrubbed = Scrub(errorBody, endpoint.ApiKey);
            if (call.Stream is { Committed: true })
            {
                result.SetErrorTail(new GatewayError(result.HttpStatus, "upstream_error", "upstream_error",
                    $"The provider '{endpoint.Name}' answered HTTP {result.HttpStatus}: {Encoding.UTF8.GetString(scrubbed)}"), call.Stream);
            }
            else
            {
                result.Tail = new Tail(result.HttpStatus, upstream.Content.Headers.ContentType?.ToString() ?? "application/json", scrubbed);
            }

            return;
        }

        if (call.Stream is null)
        {
            var bytes = await ReadBoundedAsync(upstream.Content, MaxResponseBytes, ct).ConfigureAwait(false);
            var info = OpenAIUsageReader.Inspect(bytes);
            result.Usage = info.HasUsage ? info.Usage : null;
            result.ContentBytes = info.ContentBytes;
            result.Status = LedgerStatus.Ok;
            result.Tail = new Tail(StatusCodes.Status200OK, "application/json", bytes);
            return;
        }

        // :: Step 6: relay the stream, reading usage as it passes
        await RelayStreamAsync(call, endpoint.Name, upstream, result, ct).ConfigureAwait(false);
    }

    private async Task RelayStreamAsync(CallContext call, string provider, HttpResponseMessage upstream, AttemptResult result, CancellationToken ct)
    {
        var sse = call.Stream!;
        await sse.CommitAsync(provider, ct).ConfigureAwait(false);
        await using var body = await upstream.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var filled = 0;
        try
        {
            var done = false;
            while (!done)
            {
                if (filled == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var reading = body.ReadAsync(buffer.AsMemory(filled), ct);
                var read = reading.IsCompletedSuccessfully
                    ? reading.Result
                    : await sse.AwaitWithKeepAliveAsync(reading.AsTask(), provider, ct).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                filled += read;
                var consumed = 0;
                while (!done && SseEvents.TryFindEnd(buffer.AsSpan(consumed, filled - consumed), out var length))
                {
                    var ev = buffer.AsMemory(consumed, length);
                    consumed += length;
                    var data = SseEvents.Data(ev.Span);
                    if (data.SequenceEqual("[DONE]"u8))
                    {
                        done = true;
                        break;
                    }

                    var info = OpenAIUsageReader.Inspect(data);
                    result.ContentBytes += info.ContentBytes;
                    if (info.HasUsage)
                    {
                        result.Usage = info.Usage;
                        if (info.ChoicesEmpty && !call.Request.ClientWantsUsage)
                        {
                            continue; // the usage chunk the gateway asked for, not the client
                        }
                    }

                    await sse.WriteAsync(ev, ct).ConfigureAwait(false);
                    call.EventsRelayed = true;
                }

                await sse.FlushAsync(ct).ConfigureAwait(false);
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }

            if (done)
            {
                result.Status = LedgerStatus.Ok;
                result.Tail = new Tail(StatusCodes.Status200OK, null, Done);
            }
            else
            {
                result.Status = LedgerStatus.Failed;
                result.Error = "stream ended without [DONE]";
                result.SetErrorTail(new GatewayError(StatusCodes.Status502BadGateway, "upstream_error", "stream_interrupted",
                    $"The provider '{provider}' ended the stream unexpectedly."), sse);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task SettleAsync(CallContext call, RouteCandidate candidate, int attempt, AttemptResult result, DateTimeOffset startedAt, long started)
    {
        var usage = result.Usage;
        var estimated = false;
        if (usage is null && (result.ContentBytes > 0 || result.Status == LedgerStatus.Ok))
        {
            // No usage from the provider: estimate from what was sent and produced (about 4 bytes a token).
            usage = new TokenUsage(Math.Max(1, (call.RequestBytes + 3) / 4), 0, 0, (result.ContentBytes + 3) / 4, 0);
            estimated = true;
        }

        var tokens = usage ?? default;
        var entry = new LedgerEntry
        {
            Id = Ids.New("led", time),
            RequestId = call.RequestId,
            Attempt = attempt,
            OrgId = call.Identity.OrgId,
            ProjectId = call.Identity.ProjectId,
            MemberId = call.Identity.MemberId,
            KeyId = call.Identity.KeyId,
            Service = "llm",
            Endpoint = EndpointName,
            Model = candidate.Model.Id,
            Provider = candidate.Endpoint.Name,
            ProviderModel = candidate.Mapping.ProviderModelId,
            Status = result.Status,
            HttpStatus = result.HttpStatus,
            InputTokens = tokens.InputTokens,
            CachedInputTokens = tokens.CachedInputTokens,
            CacheWriteTokens = tokens.CacheWriteTokens,
            OutputTokens = tokens.OutputTokens,
            ReasoningTokens = tokens.ReasoningTokens,
            // The price in force at the request's start, whatever time it is now.
            CostPico = usage is null ? 0 : Money.ToPico(CostCalculator.Compute(candidate.Price, tokens)),
            UsageEstimated = estimated,
            Streamed = call.Stream is not null,
            Cancelled = result.Status == LedgerStatus.Cancelled,
            LatencyMs = (long)time.GetElapsedTime(started).TotalMilliseconds,
            StartedAt = startedAt,
            EndedAt = time.GetUtcNow(),
            Error = result.Error,
        };
        await admission.SettleAttemptAsync(call.Reservation, entry, lastAttempt: !result.TryNext).ConfigureAwait(false);
    }

    private static async Task WriteTailAsync(CallContext call, RouteCandidate candidate, Tail tail, CancellationToken ct)
    {
        if (call.Stream is { } sse)
        {
            await sse.CommitAsync(candidate.Endpoint.Name, ct).ConfigureAwait(false);
            await sse.WriteAsync(tail.Bytes, ct).ConfigureAwait(false);
            await sse.FlushAsync(ct).ConfigureAwait(false);
            return;
        }

        var response = call.Http.Response;
        response.StatusCode = tail.Status;
        response.ContentType = tail.ContentType ?? "application/json";
        response.ContentLength = tail.Bytes.Length;
        response.Headers["x-tollgate-provider"] = candidate.Endpoint.Name;
        await response.Body.WriteAsync(tail.Bytes, ct).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, int limit, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream(content.Headers.ContentLength is { } n && n <= limit ? (int)n : 4096);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
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
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private static bool IsRetryable(int status) => status is 408 or 429 or >= 500;

    /// <summary>Removes the server's provider credential from text that goes to a client.</summary>
    private static string Scrub(string text, string? secret) =>
        string.IsNullOrEmpty(secret) ? text : text.Replace(secret, "[redacted]", StringComparison.Ordinal);

    private static byte[] Scrub(byte[] bytes, string? secret)
    {
        if (string.IsNullOrEmpty(secret) || bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0)
        {
            return bytes;
        }

        return Encoding.UTF8.GetBytes(Scrub(Encoding.UTF8.GetString(bytes), secret));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} failed for request {RequestId}, attempt {Attempt}")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, string provider, string requestId, int attempt);

    /// <summary>What one request carries through its attempts.</summary>
    private sealed class CallContext(
        HttpContext http, KeyIdentity identity, ChatRequest request, string requestId, DateTimeOffset startedAt,
        long requestBytes, Reservation reservation, SseResponse? stream)
    {
        public HttpContext Http { get; } = http;
        public KeyIdentity Identity { get; } = identity;
        public ChatRequest Request { get; } = request;
        public string RequestId { get; } = requestId;
        public DateTimeOffset StartedAt { get; } = startedAt;
        public long RequestBytes { get; } = requestBytes;
        public Reservation Reservation { get; } = reservation;
        public SseResponse? Stream { get; } = stream;

        /// <summary>An upstream event reached the client: from here on, no fallback.</summary>
        public bool EventsRelayed { get; set; }
    }

    /// <summary>How an attempt ended, filled in as it goes.</summary>
    private sealed class AttemptResult
    {
        public LedgerStatus Status { get; set; } = LedgerStatus.Failed;
        public int HttpStatus { get; set; }
        public TokenUsage? Usage { get; set; }
        public long ContentBytes { get; set; }
        public string? Error { get; set; }
        public bool TryNext { get; set; }

        /// <summary>The last bytes for the client, sent only after the attempt is settled.</summary>
        public Tail? Tail { get; set; }

        public void SetErrorTail(GatewayError error, SseResponse? stream)
        {
            var json = OpenAIErrors.ToJson(error);
            Tail = stream is { Committed: true }
                ? new Tail(StatusCodes.Status200OK, null, [.. "data: "u8, .. json, .. "\n\n"u8, .. Done])
                : new Tail(error.Status, "application/json", json);
        }
    }

    private sealed record Tail(int Status, string? ContentType, byte[] Bytes);
}
