using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Gateway.Routing;
using Tollgate.Hosting;

namespace Tollgate.Gateway.Pipeline;

/// <summary>
/// Turns how an attempt ended into its ledger row and settles it through admission: the pipeline's
/// one settle point, called once per attempt from the attempt's <c>finally</c>.
/// </summary>
internal sealed class AttemptSettlement(BudgetAdmission admission, TimeProvider time)
{
    /// <summary>Roughly how many bytes of text make a token, for estimates when a provider reports no usage.</summary>
    private const int BytesPerToken = 4;

    /// <summary>Settles one attempt; never throws.</summary>
    public Task SettleAsync(GatewayCall call, RouteCandidate candidate, int attempt, AttemptResult result)
    {
        if (result.Deferred is { } deferred && result.Status == LedgerStatus.Ok && call.Request is IUnitRequest)
        {
            return KeepAsync(call, candidate, attempt, result, deferred);
        }

        if (call.Request is IUnitRequest unitRequest)
        {
            return SettleUnitsAsync(call, unitRequest, candidate, attempt, result);
        }

        var usage = result.Usage;
        var estimated = false;
        if (usage is null && (result.ContentBytes > 0 || result.Status == LedgerStatus.Ok || result.PromptSent))
        {
            // No usage from the provider, which may still have processed the prompt (a client that left
            // before the first byte, a stream cut off): estimate from what was sent and produced.
            usage = new TokenUsage(Math.Max(1, (call.RequestBytes + BytesPerToken - 1) / BytesPerToken), 0, 0,
                (result.ContentBytes + BytesPerToken - 1) / BytesPerToken, 0);
            estimated = true;
        }

        // Images a chat answer holds are charged per image where the catalog prices them so, and their
        // output tokens are then not charged again (the exchange reports the usage less those tokens);
        // priced by token alone, every reported token is charged.
        UnitUsage? images = null;
        if (usage is not null && result.Units is { Images: > 0 } made && candidate.Price.ImagePrice(null) is not null)
        {
            images = made with { Tokens = estimated ? usage : made.Tokens ?? usage };
        }

        var tokens = images?.Tokens ?? usage ?? default;
        // The price in force at the request's start, whatever time it is now.
        // Bounded like every amount: a provider reporting absurd usage cannot overflow the counters.
        var usd = images is not null ? UnitCost.Compute(candidate.Price, images) ?? 0 : usage is null ? 0 : CostCalculator.Compute(candidate.Price, tokens);
        var cost = Money.ToPico(Math.Min(Money.MaxUsd, usd));
        var entry = Entry(call, candidate, attempt, result, tokens, cost, estimated) with { Units = Billed(images) };
        Tollgate.Telemetry.GatewayMetrics.Attempt(call.Http, entry, result.TryNext);
        return admission.SettleAttemptAsync(call.Reservation, entry, lastAttempt: !result.TryNext);
    }

    /// <summary>
    /// A unit-billed attempt: the actual the answer reported (pages, images, seconds, tokens), else —
    /// when the provider may have done the work — the request's bound at this candidate, marked estimated.
    /// </summary>
    private Task SettleUnitsAsync(GatewayCall call, IUnitRequest request, RouteCandidate candidate, int attempt, AttemptResult result)
    {
        // A provider that refused or was never reached did no work and charges nothing, whatever the
        // request would have used.
        var worked = result.ContentBytes > 0 || result.Status == LedgerStatus.Ok || result.PromptSent;
        var units = worked ? result.Units : null;
        if (units is null && worked && result.Usage is { } reported)
        {
            units = new UnitUsage { Tokens = reported };
        }

        var estimated = false;
        if (units is null && worked)
        {
            units = request.BoundFor(candidate).Bound;
            estimated = true;
        }

        long cost = 0;
        if (units is not null)
        {
            // An actual the price cannot express (a unit the catalog does not price) falls back to the bound.
            var usd = UnitCost.Compute(candidate.Price, units) ?? UnitWorstCase.BoundCost(request, candidate).Cost;
            cost = Money.ToPico(Math.Min(Money.MaxUsd, usd));
        }

        var entry = Entry(call, candidate, attempt, result, units?.Tokens ?? default, cost, estimated) with { Units = Billed(units) };
        Tollgate.Telemetry.GatewayMetrics.Attempt(call.Http, entry, result.TryNext);
        return admission.SettleAttemptAsync(call.Reservation, entry, lastAttempt: !result.TryNext);
    }

    /// <summary>The units the ledger records for a unit-billed attempt: those it was charged in, the rest null.</summary>
    internal static BilledUnits? Billed(UnitUsage? units)
    {
        if (units is null)
        {
            return null;
        }

        var billed = new BilledUnits(
            Characters: units.Characters > 0 ? units.Characters : null,
            Images: units.Images > 0 ? units.Images : null,
            ImageVariant: units.Images > 0 ? units.ImageVariant : null,
            Pages: units.Pages > 0 ? units.Pages : null,
            AudioSeconds: units.AudioSeconds > 0 ? units.AudioSeconds : null,
            VideoSeconds: units.VideoSeconds > 0 ? units.VideoSeconds : null,
            VideoVariant: units.VideoSeconds > 0 ? units.VideoVariant : null);
        return billed.IsEmpty ? null : billed;
    }

    /// <summary>
    /// The provider accepted a job charged when it ends: the reservation is kept as a durable hold with
    /// the job's row, and nothing is charged now. When that cannot be stored, the job is charged at its
    /// bound now (marked estimated), so no job runs unpaid, and the client hears that it was not recorded.
    /// </summary>
    private async Task KeepAsync(GatewayCall call, RouteCandidate candidate, int attempt, AttemptResult result, DeferredCharge deferred)
    {
        try
        {
            await admission.KeepAsync(call.Reservation, deferred.HoldId,
                (connection, tx, hold) => deferred.RecordAsync(connection, tx, new DeferredStart(call.Identity, candidate, call.RequestId, attempt, hold)),
                CancellationToken.None).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or IOException or TimeoutException)
        {
            var error = new Errors.GatewayError(StatusCodes.Status503ServiceUnavailable, "server_error", "job_not_recorded",
                "The provider accepted the job but the gateway could not record it; it was charged at its worst case. Try again shortly.");
            result.Error = ex.Message;
            result.Tail = new Tail(error.Status, "application/json", call.Endpoint.Errors.ToJson(error), default);
        }

        result.Deferred = null;
        await SettleUnitsAsync(call, (IUnitRequest)call.Request, candidate, attempt, result).ConfigureAwait(false);
    }

    private LedgerEntry Entry(GatewayCall call, RouteCandidate candidate, int attempt, AttemptResult result, TokenUsage tokens, long costPico, bool estimated) =>
        new()
        {
            Id = Ids.New("led", time),
            RequestId = call.RequestId,
            Attempt = attempt,
            OrgId = call.Identity.OrgId,
            ProjectId = call.Identity.ProjectId,
            MemberId = call.Identity.MemberId,
            KeyId = call.Identity.KeyId,
            Service = "llm",
            Endpoint = call.Endpoint.Name,
            Model = candidate.Model.Id,
            Provider = candidate.Endpoint.Name,
            ProviderModel = candidate.Mapping.ProviderModelId,
            Credential = candidate.Endpoint.Source == Providers.CredentialSource.Org ? LedgerEntry.OrgCredential : LedgerEntry.ServerCredential,
            Status = result.Status,
            HttpStatus = result.HttpStatus,
            InputTokens = tokens.InputTokens,
            CachedInputTokens = tokens.CachedInputTokens,
            CacheWriteTokens = tokens.CacheWriteTokens,
            OutputTokens = tokens.OutputTokens,
            ReasoningTokens = tokens.ReasoningTokens,
            CostPico = costPico,
            UsageEstimated = estimated,
            Streamed = call.Stream is not null,
            Cancelled = result.Status == LedgerStatus.Cancelled,
            LatencyMs = (long)time.GetElapsedTime(result.StartedTimestamp).TotalMilliseconds,
            StartedAt = result.StartedAt,
            EndedAt = time.GetUtcNow(),
            Error = result.Error,
        };
}
