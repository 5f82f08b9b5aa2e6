namespace Tollgate.Catalog;

/// <summary>
/// One provider serving a catalog model: the provider's name (<c>anthropic</c>, <c>bedrock</c>...), the id that
/// provider knows the model by, when the mapping is available, and its price schedules.
/// </summary>
/// <param name="Provider">Provider name as in configuration (<c>Tollgate:Providers:{provider}</c>).</param>
/// <param name="ProviderModelId">The model id sent upstream (e.g. a Bedrock inference profile id).</param>
public sealed record ProviderMapping(string Provider, string ProviderModelId)
{
    /// <summary>Windows in which the mapping serves requests; empty means always available.</summary>
    public IReadOnlyList<AvailabilityWindow> Availability { get; init; } = [];

    /// <summary>Price schedules; the catalog loader guarantees they do not overlap.</summary>
    public IReadOnlyList<PriceSchedule> Prices { get; init; } = [];

    /// <summary>Whether the mapping serves requests at <paramref name="instant"/> (windows are <c>[from, until)</c>).</summary>
    public bool IsAvailableAt(DateTimeOffset instant)
    {
        if (Availability.Count == 0)
        {
            return true;
        }

        foreach (var window in Availability)
        {
            if (window.Contains(instant))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The price in force at <paramref name="instant"/> (a request's start), or null when no schedule covers it.</summary>
    public ModelPrice? PriceAt(DateTimeOffset instant)
    {
        // Invariant (checked at load): schedules do not overlap, so the first match is the only one.
        foreach (var schedule in Prices)
        {
            if (schedule.IsInForceAt(instant))
            {
                return schedule.Price;
            }
        }

        return null;
    }
}
