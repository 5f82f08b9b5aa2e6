using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Tollgate.Budgets;
using Tollgate.Hosting;
using Tollgate.Providers;

namespace Tollgate.Gateway.Endpoints.Videos;

/// <summary>
/// Following video jobs at their provider, and their one charge. A job is looked at by the background
/// poller of every node (<see cref="VideoJobPoller"/>) and by a client's <c>GET /v1/videos/{id}</c>; whoever
/// first sees it end settles it through <see cref="BudgetAdmission.SettleDurableAsync"/>, whose guard is the
/// job's move to its terminal state in the same transaction as its ledger row and the release of its
/// hold, so a job is charged once however many callers and nodes see its end.
/// The charge: a completed job's seconds (from the provider's answer; the seconds asked for when it says
/// none, marked estimated) × the per-second price of its size in force when it was made. A failed or
/// cancelled job is charged nothing; its ledger row records the end at $0.
/// </summary>
internal sealed partial class VideoJobs(
    VideoJobStore store, ProviderDirectory providers, Tollgate.ProviderKeys.OrgProviderKeys orgKeys, BudgetAdmission admission,
    GatewayOptions options, TimeProvider time, ILogger<VideoJobs> logger)
{
    /// <summary>The largest provider answer read for a job's status.</summary>
    private const int MaxObjectBytes = 1024 * 1024;

    /// <summary>
    /// Asks the provider for an open job's state, records it, and settles the job when it has ended.
    /// Returns the video object with the gateway's id, or the provider's error (status and body).
    /// </summary>
    public async Task<(int Status, string Body)> RefreshAsync(VideoJob job, CancellationToken ct)
    {
        if (await EndpointForAsync(job, ct).ConfigureAwait(false) is not { } endpoint)
        {
            return (StatusCodes.Status502BadGateway, Error($"The provider '{job.Provider}' of this video is no longer configured."));
        }

        using var request = Request(HttpMethod.Get, endpoint, $"/videos/{Uri.EscapeDataString(job.ProviderJobId)}");
        using var response = await SendAsync(endpoint, request, ct).ConfigureAwait(false);
        var body = await ReadLimitedAsync(response.Content, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return ((int)response.StatusCode, ProviderError((int)response.StatusCode, body, endpoint));
        }

        if (ParseObject(body) is not { } video)
        {
            return (StatusCodes.Status502BadGateway, Error($"The provider '{job.Provider}' answered with something that is not a video object."));
        }

        video["id"] = job.Id;
        var status = (video["status"] as JsonValue)?.TryGetValue<string>(out var s) == true ? s : "";
        var objectJson = video.ToJsonString();
        if (status is VideoJob.Completed or VideoJob.Failed)
        {
            await SettleAsync(job, status, video, ct).ConfigureAwait(false);
        }
        else
        {
            await store.TouchAsync(job.Id, VideoJob.OpenStateOf(video), objectJson, time.GetUtcNow().ToUnixTimeMilliseconds(), ct).ConfigureAwait(false);
        }

        return (StatusCodes.Status200OK, objectJson);
    }

    /// <summary>
    /// Settles the job's end once: <paramref name="state"/> is completed, failed or cancelled. Returns
    /// false when another caller or node had settled it already.
    /// </summary>
    public async Task<bool> SettleAsync(VideoJob job, string state, JsonObject video, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var estimated = false;
        long cost = 0;
        BilledUnits? units = null;
        if (state == VideoJob.Completed)
        {
            var reported = video["seconds"] is JsonValue v
                && (v.TryGetValue<string>(out var text) ? decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var sec) ? sec : (decimal?)null
                    : v.TryGetValue<decimal>(out var number) ? number : null) is { } value && value >= 0 ? value : (decimal?)null;
            estimated = reported is null;
            var seconds = reported ?? decimal.Parse(job.Seconds, CultureInfo.InvariantCulture);
            var usd = seconds * decimal.Parse(job.PricePerSecond, CultureInfo.InvariantCulture);
            cost = Money.ToPico(Math.Min(Money.MaxUsd, usd));
            units = new BilledUnits(VideoSeconds: seconds, VideoVariant: job.Size);
        }

        var entry = new LedgerEntry
        {
            Id = Ids.New("led", time),
            RequestId = job.RequestId,
            Attempt = (int)job.Attempt,
            OrgId = job.OrgId,
            ProjectId = job.ProjectId,
            MemberId = job.MemberId,
            KeyId = job.KeyId,
            Service = "llm",
            Endpoint = "videos",
            Model = job.Model,
            Provider = job.Provider,
            ProviderModel = job.ProviderModel,
            Credential = job.Credential,
            Status = state switch
            {
                VideoJob.Completed => LedgerStatus.Ok,
                VideoJob.Cancelled => LedgerStatus.Cancelled,
                _ => LedgerStatus.UpstreamError,
            },
            HttpStatus = StatusCodes.Status200OK,
            CostPico = cost,
            Units = units,
            UsageEstimated = estimated,
            Cancelled = state == VideoJob.Cancelled,
            LatencyMs = now.ToUnixTimeMilliseconds() - job.CreatedAt,
            StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(job.CreatedAt),
            EndedAt = now,
            Error = state == VideoJob.Completed ? null : $"video {state}",
        };
        var hold = new DurableHold(job.Id, job.OrgId, job.MemberId, job.KeyId, job.HoldPico, job.CreditsOrgId);
        var objectJson = video.ToJsonString();
        var settled = await admission.SettleDurableAsync(hold, entry,
            (connection, tx) => VideoJobStore.ClaimAsync(connection, tx, job.Id, state, objectJson, cost, now.ToUnixTimeMilliseconds()), ct).ConfigureAwait(false);
        if (settled)
        {
            LogSettled(logger, job.Id, state, cost);
        }

        return settled;
    }

    /// <summary>Streams the job's file (<paramref name="variant"/>: video, thumbnail, spritesheet) from the provider to <paramref name="http"/>; never billed.</summary>
    public async Task RelayContentAsync(VideoJob job, string? variant, HttpContext http)
    {
        var ct = http.RequestAborted;
        if (await EndpointForAsync(job, ct).ConfigureAwait(false) is not { } endpoint)
        {
            await WriteJsonAsync(http, StatusCodes.Status502BadGateway, Error($"The provider '{job.Provider}' of this video is no longer configured.")).ConfigureAwait(false);
            return;
        }

        var path = $"/videos/{Uri.EscapeDataString(job.ProviderJobId)}/content" + (variant is null ? "" : "?variant=" + Uri.EscapeDataString(variant));
        using var request = Request(HttpMethod.Get, endpoint, path);
        using var response = await SendAsync(endpoint, request, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await ReadLimitedAsync(response.Content, ct).ConfigureAwait(false);
            await WriteJsonAsync(http, (int)response.StatusCode, ProviderError((int)response.StatusCode, body, endpoint)).ConfigureAwait(false);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
        if (response.Content.Headers.ContentLength is { } length)
        {
            http.Response.ContentLength = length;
        }

        await using var upstream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await upstream.CopyToAsync(http.Response.Body, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Deletes the job at the provider; an open job is settled as cancelled (its hold released, nothing
    /// charged). Returns the provider's error when it refused, else null.
    /// </summary>
    public async Task<(int Status, string Body)?> DeleteAsync(VideoJob job, CancellationToken ct)
    {
        if (await EndpointForAsync(job, ct).ConfigureAwait(false) is not { } endpoint)
        {
            return (StatusCodes.Status502BadGateway, Error($"The provider '{job.Provider}' of this video is no longer configured."));
        }

        using var request = Request(HttpMethod.Delete, endpoint, $"/videos/{Uri.EscapeDataString(job.ProviderJobId)}");
        using var response = await SendAsync(endpoint, request, ct).ConfigureAwait(false);
        var body = await ReadLimitedAsync(response.Content, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
        {
            return ((int)response.StatusCode, ProviderError((int)response.StatusCode, body, endpoint));
        }

        if (job.IsOpen && ParseObject(job.ObjectJson) is { } video)
        {
            await SettleAsync(job, VideoJob.Cancelled, video, ct).ConfigureAwait(false);
        }

        await store.MarkDeletedAsync(job.Id, time.GetUtcNow().ToUnixTimeMilliseconds(), ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>The provider endpoint (with its credential) that runs the job: the server's, or the org's own key.</summary>
    private async Task<ProviderEndpoint?> EndpointForAsync(VideoJob job, CancellationToken ct)
    {
        if (job.Credential == LedgerEntry.OrgCredential)
        {
            var own = await orgKeys.ForOrgAsync(job.OrgId, ct).ConfigureAwait(false);
            return own.GetValueOrDefault(job.Provider);
        }

        return providers.Get(job.Provider);
    }

    /// <summary>Sends to the provider; waiting for its response headers is bounded by the upstream timeout.</summary>
    private async Task<HttpResponseMessage> SendAsync(ProviderEndpoint endpoint, HttpRequestMessage request, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(options.UpstreamTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            return await providers.ClientFor(endpoint).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"The provider '{endpoint.Name}' did not answer in time.", ex);
        }
    }

    /// <summary>The JSON object in <paramref name="text"/>, or null when it is not one.</summary>
    private static JsonObject? ParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, ProviderEndpoint endpoint, string path)
    {
        var request = new HttpRequestMessage(method, endpoint.BaseUrl + path);
        if (endpoint.ApiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.ApiKey);
        }

        return request;
    }

    private static async Task<string> ReadLimitedAsync(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var buffer = new byte[MaxObjectBytes];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0)
        {
            total += read;
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>The provider's error as the client gets it: its JSON error with any credential removed, or one of ours.</summary>
    private static string ProviderError(int status, string body, ProviderEndpoint endpoint)
    {
        foreach (var secret in endpoint.Secrets())
        {
            if (!string.IsNullOrEmpty(secret))
            {
                body = body.Replace(secret, "[redacted]", StringComparison.Ordinal);
            }
        }

        try
        {
            if (JsonNode.Parse(body) is JsonObject { } error && error.ContainsKey("error"))
            {
                return body;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not JSON: wrapped below.
        }

        return Error($"The provider answered HTTP {status}.");
    }

    /// <summary>An OpenAI-style error body.</summary>
    public static string Error(string message, string type = "upstream_error", string? code = null) =>
        new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code } }.ToJsonString();

    /// <summary>Writes a JSON body with <paramref name="status"/>.</summary>
    public static async Task WriteJsonAsync(HttpContext http, int status, string body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Video job {JobId} settled as {State}, charged {CostPico} pico-dollars")]
    private static partial void LogSettled(ILogger logger, string jobId, string state, long costPico);
}
