using Bunit;
using MudBlazor.Services;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Dashboard;
using Tollgate.Dashboard.Components;

namespace Tollgate.Tests.Dashboard;

/// <summary>The cap cards of My usage and member detail, from the budget engine's view of a member, in each state.</summary>
public sealed class CapCardTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 7, 15, 10, 0, 0, TimeSpan.Zero);
    private readonly BunitContext _ctx = new();
    private readonly ViewerClock _clock = new();

    public CapCardTests()
    {
        _ctx.Services.AddMudServices();
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _clock.Set("Europe/Paris");
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();

    private static MemberBudget Budget(
        EffectiveSpend? spend = null, CapStatus? spendStatus = null, EffectivePeriod? period = null, CapStatus? periodStatus = null,
        (KeyCountBudget, string)? keys = null, long activeKeys = 0, long lifetime = 0) =>
        new(new MemberBudgetView(BudgetConfig.Empty, spend, period, keys, spendStatus, periodStatus, lifetime, 0), activeKeys);

    private IRenderedComponent<CapCard> Render(CapCardModel model) =>
        _ctx.Render<CapCard>(p => p.Add(c => c.Model, model).Add(c => c.Clock, _clock));

    [Fact]
    public void CapCard_NotSet_SaysNotSetAndShowsLifetimeSpend()
    {
        var cards = CapCards.ForMember(Budget(lifetime: Money.ToPico(3.5m)));

        var spend = Render(cards[0]);

        Assert.Contains("Spend budget", spend.Markup);
        Assert.Contains("Not set", spend.Markup);
        Assert.Contains("$3.50", spend.Markup);
        Assert.DoesNotContain("Paused", spend.Markup);
        Assert.DoesNotContain("Resets at", spend.Markup);
        Assert.Equal(CapState.NotSet, cards[1].State);
        Assert.Equal(CapState.NotSet, cards[2].State);
    }

    [Fact]
    public void CapCard_Unlimited_SaysUnlimitedWithoutABar()
    {
        var cards = CapCards.ForMember(Budget(spend: new EffectiveSpend(new SpendBudget(SpendType.Unlimited, 0, null), "member")));

        var spend = Render(cards[0]);

        Assert.Contains("Unlimited", spend.Markup);
        Assert.Empty(spend.FindAll("[role=progressbar]"));
        Assert.Equal(CapState.Unlimited, cards[0].State);
    }

    [Fact]
    public void CapCard_MonthlyLimit_ShowsUsedReservedRemainingAndTheResetInTheViewersZone()
    {
        var resets = new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero);
        var status = new CapStatus("member", "monthly", Money.ToPico(500m), Money.ToPico(120m), Money.ToPico(5m), resets);
        var cards = CapCards.ForMember(Budget(spend: new EffectiveSpend(new SpendBudget(SpendType.Monthly, Money.ToPico(500m), Now), "member"), spendStatus: status));

        var spend = Render(cards[0]);

        Assert.Contains("$500.00/month", spend.Markup);
        Assert.Contains("$120.00", spend.Markup);
        Assert.Contains("$5.00", spend.Markup);
        Assert.Contains("$375.00", spend.Markup);
        // 00:00 UTC on 1 August is 02:00 in Paris (summer time); the zone is named.
        Assert.Contains("Resets at 2026-08-01 02:00 (Europe/Paris)", spend.Markup);
        Assert.Contains("Calendar month", spend.Markup);
        Assert.Single(spend.FindAll("[role=progressbar]"));
        Assert.Contains("Binds first", spend.Markup);
        Assert.DoesNotContain("Paused", spend.Markup);
    }

    [Fact]
    public void CapCard_LimitReached_IsPaused()
    {
        var status = new CapStatus("member", "fixed", Money.ToPico(10m), Money.ToPico(10m), 0, null);
        var cards = CapCards.ForMember(Budget(spend: new EffectiveSpend(new SpendBudget(SpendType.Fixed, Money.ToPico(10m), Now), "member"), spendStatus: status));

        var spend = Render(cards[0]);

        Assert.Equal(CapState.Paused, cards[0].State);
        Assert.Contains("Paused", spend.Markup);
        Assert.Contains("$10.00 total", spend.Markup);
        Assert.Contains("Total, never resets", spend.Markup);
    }

    [Fact]
    public void CapCard_ZeroLimit_IsPausedNotUnset()
    {
        var status = new CapStatus("member", "period", 0, 0, 0, null);
        var cards = CapCards.ForMember(Budget(period: new EffectivePeriod(new PeriodBudget(false, 0, RollingWindow.Day), "member", Now), periodStatus: status));

        Assert.Equal(CapState.Paused, cards[1].State);
        Assert.Contains("$0.00/day", Render(cards[1]).Markup);
    }

    [Fact]
    public void CapCard_InheritedFromDefaults_SaysDefaultAndIsTheBindingCap()
    {
        var resets = Now.AddMinutes(15);
        var periodStatus = new CapStatus("member", "period", Money.ToPico(0.0006m), Money.ToPico(0.0002m), 0, resets);
        var spendStatus = new CapStatus("member", "monthly", Money.ToPico(50m), Money.ToPico(1m), 0, Now.AddDays(17));
        var cards = CapCards.ForMember(Budget(
            spend: new EffectiveSpend(new SpendBudget(SpendType.Monthly, Money.ToPico(50m), Now), "member"), spendStatus: spendStatus,
            period: new EffectivePeriod(new PeriodBudget(false, Money.ToPico(0.0006m), RollingWindow.Day), "default", Now), periodStatus: periodStatus));

        var period = Render(cards[1]);

        Assert.Contains("$0.0006/day", period.Markup);
        Assert.Contains(">default<", period.Markup);
        Assert.Contains("From default developer limits", period.Markup);
        Assert.Contains("Rolling day", period.Markup);
        Assert.Contains("$0.0004", period.Markup);
        Assert.True(cards[1].Binding);
        Assert.False(cards[0].Binding);
    }

    [Fact]
    public void CapCard_KeyCount_ShowsActiveKeysAgainstTheLimit()
    {
        var cards = CapCards.ForMember(Budget(keys: (new KeyCountBudget(false, 3), "default"), activeKeys: 3));

        var keys = Render(cards[2]);

        Assert.Contains("3 keys", keys.Markup);
        Assert.Equal(CapState.Paused, cards[2].State);
        Assert.Contains("Active API keys", keys.Markup);
    }
}
