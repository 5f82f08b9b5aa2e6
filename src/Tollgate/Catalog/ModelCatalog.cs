namespace Tollgate.Catalog;

// CONTRACT STUB — replaced by the catalog implementation.

public sealed class ModelCatalog
{
    public ModelCatalog(IReadOnlyList<CatalogModel> models) => Models = models;

    public IReadOnlyList<CatalogModel> Models { get; }

    public static ModelCatalog Load(IConfiguration configuration) => new([]);

    public static ModelCatalog LoadFrom(Stream utf8Json) => throw new NotImplementedException();

    public CatalogModel? Find(string modelId) => Models.FirstOrDefault(m => m.Id == modelId);

    public ModelCatalog WithModels(IEnumerable<CatalogModel> extra) => new([.. Models, .. extra]);
}

public sealed record CatalogModel(string Id, string Name, string Kind, long? ContextWindow, long? MaxOutputTokens, IReadOnlyList<ProviderMapping> Providers);

public sealed record ProviderMapping(string Provider, string ProviderModelId)
{
    public IReadOnlyList<PriceSchedule> Prices { get; init; } = [];

    public bool IsAvailableAt(DateTimeOffset instant) => true;

    public ModelPrice? PriceAt(DateTimeOffset instant) => Prices.Count > 0 ? Prices[0].Price : null;
}

public sealed record PriceSchedule(DateTimeOffset? EffectiveFrom, DateTimeOffset? EffectiveUntil, ModelPrice Price);

public sealed record ModelPrice
{
    public decimal? InputPerMillion { get; init; }
    public decimal? OutputPerMillion { get; init; }
    public bool IsPricedForTokens => InputPerMillion is not null && OutputPerMillion is not null;
    public ModelPrice ForPromptTokens(long promptTokens) => this;
}

public readonly record struct TokenUsage(long InputTokens, long CachedInputTokens, long CacheWriteTokens, long OutputTokens, long ReasoningTokens)
{
    public long PromptTokens => InputTokens + CachedInputTokens + CacheWriteTokens;
}

public static class CostCalculator
{
    public static decimal Compute(ModelPrice price, TokenUsage usage) =>
        (usage.InputTokens * price.InputPerMillion!.Value + (usage.OutputTokens + usage.ReasoningTokens) * price.OutputPerMillion!.Value) / 1_000_000m;
}
