using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

public sealed class ProviderMappingTests
{
    private static readonly DateTimeOffset Switch = new(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void PriceAt_JustBeforeTheSwitch_ReturnsTheEndingSchedule()
    {
        var mapping = IntroductoryThenStandard();

        var price = mapping.PriceAt(Switch.AddTicks(-1));

        Assert.Equal(2m, price?.InputPerMillion);
    }

    [Fact]
    public void PriceAt_TheSwitchInstant_ReturnsTheStartingSchedule()
    {
        var mapping = IntroductoryThenStandard();

        var price = mapping.PriceAt(Switch);

        Assert.Equal(3m, price?.InputPerMillion);
    }

    [Fact]
    public void PriceAt_SwitchInstantWrittenInAnotherOffset_ComparesAsTheSameInstant()
    {
        var mapping = IntroductoryThenStandard();

        var price = mapping.PriceAt(new DateTimeOffset(2026, 9, 1, 2, 0, 0, TimeSpan.FromHours(2)));

        Assert.Equal(3m, price?.InputPerMillion);
    }

    [Fact]
    public void PriceAt_InAGapBetweenSchedules_ReturnsNull()
    {
        var mapping = new ProviderMapping("openai", "gpt-x")
        {
            Prices =
            [
                new PriceSchedule(null, Switch, new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m }),
                new PriceSchedule(Switch.AddDays(7), null, new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m }),
            ],
        };

        var price = mapping.PriceAt(Switch.AddDays(3));

        Assert.Null(price);
    }

    [Fact]
    public void IsAvailableAt_NoWindows_IsAlwaysAvailable()
    {
        var mapping = new ProviderMapping("anthropic", "claude-x");

        var available = mapping.IsAvailableAt(DateTimeOffset.MaxValue);

        Assert.True(available);
    }

    [Fact]
    public void IsAvailableAt_InsideTheSuspension_IsFalse()
    {
        var mapping = Suspended(from: Switch, until: Switch.AddDays(14));

        var available = mapping.IsAvailableAt(Switch.AddDays(3));

        Assert.False(available);
    }

    [Fact]
    public void IsAvailableAt_SuspensionBoundaries_FollowHalfOpenWindows()
    {
        var mapping = Suspended(from: Switch, until: Switch.AddDays(14));

        var lastBefore = mapping.IsAvailableAt(Switch.AddTicks(-1));
        var firstSuspended = mapping.IsAvailableAt(Switch);
        var lastSuspended = mapping.IsAvailableAt(Switch.AddDays(14).AddTicks(-1));
        var firstBack = mapping.IsAvailableAt(Switch.AddDays(14));

        Assert.True(lastBefore);
        Assert.False(firstSuspended);
        Assert.False(lastSuspended);
        Assert.True(firstBack);
    }

    private static ProviderMapping IntroductoryThenStandard() => new("anthropic", "claude-sonnet-5")
    {
        Prices =
        [
            new PriceSchedule(null, Switch, new ModelPrice { InputPerMillion = 2m, OutputPerMillion = 10m }),
            new PriceSchedule(Switch, null, new ModelPrice { InputPerMillion = 3m, OutputPerMillion = 15m }),
        ],
    };

    private static ProviderMapping Suspended(DateTimeOffset from, DateTimeOffset until) => new("bedrock", "us.model-v1:0")
    {
        Availability = [new AvailabilityWindow(null, from), new AvailabilityWindow(until, null)],
        Prices = [new PriceSchedule(null, null, new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m })],
    };
}
