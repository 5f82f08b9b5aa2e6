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
            Endpoint = call.Endpoint.Name,
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
            // Bounded like every amount: a provider reporting absurd usage cannot overflow the counters.
            CostPico = usage is null ? 0 : Money.ToPico(Math.Min(Money.MaxUsd, CostCalculator.Compute(candidate.Price, tokens))),
            UsageEstimated = estimated,
            Streamed = call.Stream is not null,
            Cancelled = result.Status == LedgerStatus.Cancelled,
            LatencyMs = (long)time.GetElapsedTime(result.StartedTimestamp).TotalMilliseconds,
            StartedAt = result.StartedAt,
            EndedAt = time.GetUtcNow(),
            Error = result.Error,
        };
        Tollgate.Telemetry.GatewayMetrics.Attempt(call.Http, entry, result.TryNext);
        return admission.SettleAttemptAsync(call.Reservation, entry, lastAttempt: !result.TryNext);
    }
}
