namespace Tollgate.Catalog;

/// <summary>Turns a <see cref="UnitUsage"/> into money at a catalog price, exactly (<see cref="decimal"/>, no rounding).</summary>
public static class UnitCost
{
    private const decimal CharactersPerMillion = 1_000_000m;
    private const decimal SecondsPerMinute = 60m;

    /// <summary>
    /// The cost in USD of <paramref name="usage"/> at <paramref name="price"/>:
    /// <code>
    /// tokens at the token prices (with per-request, <see cref="CostCalculator"/>)   or per-request alone
    /// + characters × speechPerMillionCharacters ÷ 1,000,000
    /// + images × the image price of the variant
    /// + pages × perOcrPage
    /// + audio seconds × perAudioMinute ÷ 60
    /// + video seconds × the per-second price of the resolution
    /// </code>
    /// Null when a unit the usage has is not priced (an image size the catalog has no price for): the
    /// caller refuses such a request before it goes upstream, so it is never charged zero.
    /// </summary>
    public static decimal? Compute(ModelPrice price, UnitUsage usage)
    {
        ArgumentNullException.ThrowIfNull(price);
        ArgumentNullException.ThrowIfNull(usage);

        var total = usage.Tokens is { } tokens ? CostCalculator.Compute(price, tokens) : price.PerRequest ?? 0m;
        if (usage.Characters > 0)
        {
            if (price.SpeechPerMillionCharacters is not { } perMillion)
            {
                return null;
            }

            total += usage.Characters * perMillion / CharactersPerMillion;
        }

        if (usage.Images > 0)
        {
            if (price.ImagePrice(usage.ImageVariant) is not { } perImage)
            {
                return null;
            }

            total += usage.Images * perImage;
        }

        if (usage.Pages > 0)
        {
            if (price.PerOcrPage is not { } perPage)
            {
                return null;
            }

            total += usage.Pages * perPage;
        }

        if (usage.AudioSeconds > 0)
        {
            if (price.PerAudioMinute is not { } perMinute)
            {
                return null;
            }

            // Multiply before dividing: whole seconds at a price with few decimals stay exact.
            total += usage.AudioSeconds * perMinute / SecondsPerMinute;
        }

        if (usage.VideoSeconds > 0)
        {
            if (price.VideoSecondPrice(usage.VideoVariant) is not { } perSecond)
            {
                return null;
            }

            total += usage.VideoSeconds * perSecond;
        }

        return total;
    }
}
