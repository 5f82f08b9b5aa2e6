using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Providers;

namespace Tollgate.Gateway.Routing;

/// <summary>One provider the gateway may try for a request, with the price in force at its start.</summary>
public sealed record RouteCandidate(CatalogModel Model, ProviderMapping Mapping, ModelPrice Price, ProviderEndpoint Endpoint);

/// <summary>
/// Resolves a requested model name to the providers that may serve it, in the order to try them.
/// <c>"model"</c> is a catalog id (<c>claude-sonnet-5</c>), or <c>provider/id</c> to pin a provider
/// (<c>bedrock/claude-sonnet-5</c>). Without a pin, candidates are ordered by price (the cheapest
/// mapping available at the request's start first), then by recent error rate among equal prices;
/// a mapping that failed repeatedly (<see cref="MappingHealth.IsTripped"/>) goes last until it recovers.
/// An org's own key for a provider replaces the server's for that org's requests, and makes the
/// provider reachable even when the server has no key for it.
/// </summary>
public sealed class ModelRouter(ModelCatalog catalog, ProviderDirectory providers, MappingHealth health)
{
    /// <summary>The per-mapping health the order uses (the pipeline records outcomes in it).</summary>
    public MappingHealth Health => health;

    /// <summary>The catalog routed over.</summary>
    public ModelCatalog Catalog => catalog;

    /// <summary>
    /// Candidates for a request at <paramref name="at"/> to an endpoint serving <paramref name="kind"/>
    /// models (<paramref name="endpointName"/> names it in errors) that <paramref name="reachable"/>
    /// accepts (the endpoint can speak to that provider and model); or the error that explains why there are none.
    /// </summary>
    /// <paramref name="orgEndpoints"/> are the calling org's own provider keys by provider name.
    public (IReadOnlyList<RouteCandidate> Candidates, GatewayError? Error) Resolve(
        string requested, string kind, string endpointName, Func<RouteCandidate, bool> reachable, DateTimeOffset at,
        IReadOnlyDictionary<string, ProviderEndpoint>? orgEndpoints = null)
    {
        var model = catalog.Find(requested);
        string? pinned = null;
        if (model is null)
        {
            var slash = requested.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0)
            {
                var candidate = catalog.Find(requested[(slash + 1)..]);
                var provider = requested[..slash];
                if (candidate is not null && candidate.Providers.Any(p => p.Provider == provider))
                {
                    model = candidate;
                    pinned = provider;
                }
            }
        }

        if (model is null)
        {
            return ([], new GatewayError(StatusCodes.Status404NotFound, "invalid_request_error", "model_not_found",
                $"The model '{requested}' does not exist.", "model"));
        }

        // An image model may also serve a chat endpoint where its provider's chat answers carry images
        // (Gemini): the endpoint's reachable filter keeps only those candidates.
        var imageThroughChat = kind == ModelKinds.Chat && model.Kind == ModelKinds.Image;
        if (model.Kind != kind && !imageThroughChat)
        {
            return ([], WrongKind(requested, model, endpointName));
        }

        var mappings = model.Providers.Where(p => pinned is null || p.Provider == pinned).ToList();
        var available = mappings.Where(p => p.IsAvailableAt(at)).ToList();
        if (available.Count == 0)
        {
            return ([], new GatewayError(StatusCodes.Status404NotFound, "invalid_request_error", "model_not_available",
                $"The model '{requested}' is not available at this time.", "model"));
        }

        var priced = new List<(ProviderMapping Mapping, ModelPrice Price)>();
        foreach (var mapping in available)
        {
            if (mapping.PriceAt(at) is { } price && price.IsPricedFor(model.Kind))
            {
                priced.Add((mapping, price));
            }
        }

        if (priced.Count == 0)
        {
            return ([], GatewayError.BadRequest("model_not_priced",
                $"The model '{requested}' has no price in force, so it cannot be billed; ask an admin to fix the catalog.", "model"));
        }

        var candidates = new List<RouteCandidate>();
        var configured = 0;
        foreach (var (mapping, price) in Order(priced))
        {
            var endpoint = orgEndpoints?.GetValueOrDefault(mapping.Provider) ?? providers.Get(mapping.Provider);
            configured += endpoint is { IsConfigured: true } ? 1 : 0;
            if (endpoint is { IsConfigured: true }
                && new RouteCandidate(model, mapping, price, endpoint) is var candidate && reachable(candidate))
            {
                candidates.Add(candidate);
            }
        }

        if (candidates.Count == 0 && imageThroughChat && configured > 0)
        {
            return ([], WrongKind(requested, model, endpointName)); // configured, but not where chat answers carry images
        }

        if (candidates.Count == 0)
        {
            var names = string.Join(", ", priced.Select(p => p.Mapping.Provider).Distinct());
            return ([], new GatewayError(StatusCodes.Status503ServiceUnavailable, "server_error", "provider_not_configured",
                $"No provider of the model '{requested}' ({names}) is configured on this server for this endpoint.", "model"));
        }

        return (candidates, null);
    }

    private static GatewayError WrongKind(string requested, CatalogModel model, string endpointName) =>
        GatewayError.BadRequest("model_not_supported",
            $"The model '{requested}' is a {model.Kind} model; it cannot be used with {endpointName}.", "model");

    /// <summary>
    /// Error rates closer than this count as equal, so the last few outcomes of two healthy mappings
    /// (or a failure long faded) do not reorder them.
    /// </summary>
    private const double ErrorRateResolution = 0.05;

    /// <summary>Tripped mappings last; then cheapest first (the sum of the prices it sets); then lowest recent error rate (in steps of <see cref="ErrorRateResolution"/>); then catalog order.</summary>
    private IEnumerable<(ProviderMapping Mapping, ModelPrice Price)> Order(List<(ProviderMapping Mapping, ModelPrice Price)> priced)
    {
        if (priced.Count == 1)
        {
            return priced;
        }

        return priced
            .Select((p, index) => (p, index, key: MappingHealth.Key(p.Mapping.Provider, p.Mapping.ProviderModelId)))
            .OrderBy(x => health.IsTripped(x.key))
            .ThenBy(x => x.p.Price.Level)
            .ThenBy(x => Math.Floor(health.ErrorRate(x.key) / ErrorRateResolution))
            .ThenBy(x => x.index)
            .Select(x => x.p);
    }
}
