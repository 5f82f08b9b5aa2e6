namespace Tollgate.Catalog;

/// <summary>A model Tollgate can route, and the providers that serve it.</summary>
/// <param name="Id">The id clients send as <c>model</c> (e.g. <c>claude-sonnet-5</c>); unique in a catalog.</param>
/// <param name="Name">Display name (the id when the catalog gives none).</param>
/// <param name="Kind">One of <see cref="ModelKinds"/>.</param>
/// <param name="ContextWindow">Maximum prompt plus output tokens, when known.</param>
/// <param name="MaxOutputTokens">Maximum output tokens; always set for chat models.</param>
/// <param name="Providers">The provider mappings, in catalog order; at least one.</param>
public sealed record CatalogModel(
    string Id,
    string Name,
    string Kind,
    long? ContextWindow,
    long? MaxOutputTokens,
    IReadOnlyList<ProviderMapping> Providers);
