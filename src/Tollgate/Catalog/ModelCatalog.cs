namespace Tollgate.Catalog;

// CONTRACT STUB — replaced by the catalog implementation.

/// <summary>The models Tollgate can route, with their provider mappings and prices.</summary>
public sealed class ModelCatalog
{
    public ModelCatalog(IReadOnlyList<CatalogModel> models) => Models = models;

    public IReadOnlyList<CatalogModel> Models { get; }

    public static ModelCatalog Load(IConfiguration configuration) => new([]);

    public static ModelCatalog LoadFrom(Stream utf8Json) => throw new NotImplementedException();

    public CatalogModel? Find(string modelId) => Models.FirstOrDefault(m => m.Id == modelId);
}

public sealed record CatalogModel(string Id, string Name, string Kind, long? ContextWindow, long? MaxOutputTokens, IReadOnlyList<ProviderMapping> Providers);

public sealed record ProviderMapping(string Provider, string ProviderModelId)
{
    public bool IsAvailableAt(DateTimeOffset instant) => throw new NotImplementedException();

    public ModelPrice? PriceAt(DateTimeOffset instant) => throw new NotImplementedException();
}

public sealed record ModelPrice
{
    public decimal? InputPerMillion { get; init; }
    public decimal? OutputPerMillion { get; init; }
}

public readonly record struct TokenUsage(long InputTokens, long CachedInputTokens, long CacheWriteTokens, long OutputTokens, long ReasoningTokens);

public static class CostCalculator
{
    public static decimal Compute(ModelPrice price, TokenUsage usage) => throw new NotImplementedException();
}
