using Tollgate.Budgets;

namespace Tollgate.Analytics;

/// <summary>The sums a rollup row keeps. Tokens and counts are whole numbers; cost is pico-dollars.</summary>
internal struct UsageSums
{
    public long Requests;
    public long Errors;
    public long CostPico;
    public long InputTokens;
    public long OutputTokens;
    public long CachedTokens;
    public long ReasoningTokens;

    /// <summary>Input plus output tokens (cached and reasoning tokens are parts of those).</summary>
    public readonly long Tokens => InputTokens + OutputTokens;

    public void Add(LedgerEntry e)
    {
        Requests++;
        Errors += Rollups.IsError(e.Status) ? 1 : 0;
        CostPico += e.CostPico;
        InputTokens += e.InputTokens;
        OutputTokens += e.OutputTokens;
        CachedTokens += e.CachedInputTokens;
        ReasoningTokens += e.ReasoningTokens;
    }

    public void Add(in UsageSums other, long sign = 1)
    {
        Requests += sign * other.Requests;
        Errors += sign * other.Errors;
        CostPico += sign * other.CostPico;
        InputTokens += sign * other.InputTokens;
        OutputTokens += sign * other.OutputTokens;
        CachedTokens += sign * other.CachedTokens;
        ReasoningTokens += sign * other.ReasoningTokens;
    }
}

/// <summary>The key of a 15-minute rollup row (every dimension).</summary>
internal readonly record struct RollupKey(string OrgId, long BucketStart, string MemberId, string KeyId, string ProjectId, string Model, string Provider);

/// <summary>The key of a facet row: one dimension's value in one bucket of one grain.</summary>
internal readonly record struct FacetKey(string OrgId, string Dimension, long Grain, long BucketStart, string Value);

/// <summary>
/// The rollup changes of one ledger batch: the rows actually inserted, summed per distinct rollup
/// and facet key, so the writer upserts once per key and not once per row.
/// </summary>
internal sealed class RollupBatch
{
    public Dictionary<RollupKey, UsageSums> Rollups { get; } = [];

    public Dictionary<FacetKey, UsageSums> Facets { get; } = [];

    public bool IsEmpty => Rollups.Count == 0;

    /// <summary>Sums the rows.</summary>
    public static RollupBatch Of(IEnumerable<LedgerEntry> inserted)
    {
        var batch = new RollupBatch();
        foreach (var e in inserted)
        {
            batch.Add(e);
        }

        return batch;
    }

    public void Add(LedgerEntry e)
    {
        var at = e.EndedAt.ToUnixTimeMilliseconds();
        Accumulate(Rollups, new RollupKey(e.OrgId, Analytics.Rollups.Floor(at, Analytics.Rollups.QuarterMs), e.MemberId, e.KeyId, e.ProjectId, e.Model, e.Provider), e);
        foreach (var grain in Analytics.Rollups.Grains)
        {
            var bucket = Analytics.Rollups.Floor(at, grain);
            Accumulate(Facets, new FacetKey(e.OrgId, Analytics.Rollups.Model, grain, bucket, e.Model), e);
            Accumulate(Facets, new FacetKey(e.OrgId, Analytics.Rollups.Provider, grain, bucket, e.Provider), e);
            Accumulate(Facets, new FacetKey(e.OrgId, Analytics.Rollups.Project, grain, bucket, e.ProjectId), e);
            Accumulate(Facets, new FacetKey(e.OrgId, Analytics.Rollups.Member, grain, bucket, e.MemberId), e);
            Accumulate(Facets, new FacetKey(e.OrgId, Analytics.Rollups.Key, grain, bucket, e.KeyId), e);
        }
    }

    private static void Accumulate<TKey>(Dictionary<TKey, UsageSums> map, TKey key, LedgerEntry e)
        where TKey : notnull
    {
        ref var sums = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, key, out _);
        sums.Add(e);
    }
}
