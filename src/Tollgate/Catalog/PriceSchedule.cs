namespace Tollgate.Catalog;

/// <summary>A price and the interval <c>[EffectiveFrom, EffectiveUntil)</c> in which it is in force; null ends are open.</summary>
/// <param name="EffectiveFrom">First instant the price applies, or null for "since always".</param>
/// <param name="EffectiveUntil">First instant the price no longer applies, or null for "until further notice".</param>
/// <param name="Price">The price in force during the interval.</param>
public sealed record PriceSchedule(DateTimeOffset? EffectiveFrom, DateTimeOffset? EffectiveUntil, ModelPrice Price)
{
    /// <summary>Whether the price is in force at <paramref name="instant"/>.</summary>
    public bool IsInForceAt(DateTimeOffset instant) =>
        (EffectiveFrom is not { } from || from <= instant) && (EffectiveUntil is not { } until || instant < until);
}
