using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Pipeline;

/// <summary>
/// The worst case of a unit-billed request (<see cref="IUnitRequest"/>): each candidate's bound in its
/// unit, priced at that candidate's price; the dearest is reserved. Nothing is clamped: the bound is a
/// fixed amount (characters, images, pages, seconds), so admission reserves it whole or denies.
/// </summary>
internal static class UnitWorstCase
{
    /// <summary>What admission reserves for <paramref name="request"/>, or the 400 that refuses it.</summary>
    public static (AdmissionRequest? Request, GatewayError? Error) Estimate(
        KeyIdentity identity, IUnitRequest request, IReadOnlyList<RouteCandidate> candidates)
    {
        var worst = 0m;
        foreach (var candidate in candidates)
        {
            var (cost, error) = BoundCost(request, candidate);
            if (error is not null)
            {
                return (null, error);
            }

            worst = Math.Max(worst, cost);
        }

        if (worst > Money.MaxUsd)
        {
            return (null, GatewayError.BadRequest("request_too_costly",
                $"The worst-case cost of this request (${worst:0.##}) is above the largest amount one request may reserve (${Money.MaxUsd:0})."));
        }

        // The bound as a flat per-request price: admission's "smallest useful answer" is then the whole
        // bound, so a cap with less room than the bound denies instead of clamping.
        var pico = Money.ToPico(worst);
        var flat = new ModelPrice { PerRequest = Money.FromPico(pico) };
        return (new AdmissionRequest(identity, "llm", candidates[0].Model.Id, flat, 0, 0, pico), null);
    }

    /// <summary>The bound of <paramref name="request"/> at <paramref name="candidate"/>, in USD, or why it cannot be priced there.</summary>
    public static (decimal Cost, GatewayError? Error) BoundCost(IUnitRequest request, RouteCandidate candidate)
    {
        var (bound, error) = request.BoundFor(candidate);
        if (bound is null)
        {
            return (0, error);
        }

        return UnitCost.Compute(candidate.Price, bound) is { } cost
            ? (cost, null)
            : (0, GatewayError.BadRequest("model_not_priced",
                $"The model '{candidate.Model.Id}' has no price for this request at '{candidate.Endpoint.Name}'; ask an admin to fix the catalog.", "model"));
    }
}
