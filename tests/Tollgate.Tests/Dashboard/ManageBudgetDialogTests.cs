using System.Text.Json;
using Bunit;
using MudBlazor.Services;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Dashboard;
using Tollgate.Dashboard.Components;

namespace Tollgate.Tests.Dashboard;

/// <summary>
/// The Manage budget dialog's editor: each cap's current state, the document it sends (the API's
/// wire form), and the server parser's field errors shown next to their fields.
/// </summary>
public sealed class ManageBudgetDialogTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 7, 15, 10, 0, 0, TimeSpan.Zero);
    private readonly BunitContext _ctx = new();
    private readonly ViewerClock _clock = new();
    private readonly List<JsonElement> _sent = [];

    public ManageBudgetDialogTests()
    {
        _ctx.Services.AddMudServices();
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _clock.Set("Europe/Paris");
    }

    public ValueTask DisposeAsync() => _ctx.DisposeAsync();

    // Parses exactly as the API does; a valid document is "saved".
    private Task<SaveResult> Save(JsonElement json)
    {
        _sent.Add(json.Clone());
        var (document, errors) = BudgetDocument.Parse(json, keyBudget: false);
        return Task.FromResult(document is null ? new SaveResult(null, errors) : SaveResult.Saved);
    }

    private IRenderedComponent<BudgetEditor> Render(BudgetConfig config, IReadOnlyList<CapCardModel>? current = null) =>
        _ctx.Render<BudgetEditor>(p => p
            .Add(e => e.Form, BudgetForm.From(config))
            .Add(e => e.Current, current)
            .Add(e => e.Clock, _clock)
            .Add(e => e.Save, Save));

    private static string Checked(IRenderedComponent<BudgetEditor> cut, string legend) =>
        cut.FindAll("fieldset").Single(f => f.QuerySelector("legend")!.TextContent == legend)
            .QuerySelectorAll("input[type=radio]").Single(r => r.HasAttribute("checked")).ParentElement!.ParentElement!.TextContent.Trim();

    [Fact]
    public void ManageBudget_NotSet_EveryCapSaysNotSetAndSavesNulls()
    {
        var cut = Render(BudgetConfig.Empty);

        Assert.Contains("Not set", Checked(cut, "Spend budget"));
        Assert.Contains("Not set", Checked(cut, "Period cap"));
        Assert.Contains("Not set", Checked(cut, "Max active API keys"));
        Assert.Empty(cut.FindAll("input[type=text], input:not([type])"));
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Save").Click();

        var sent = Assert.Single(_sent);
        Assert.Equal(JsonValueKind.Null, sent.GetProperty("spend").ValueKind);
        Assert.Equal(JsonValueKind.Null, sent.GetProperty("period").ValueKind);
        Assert.Equal(JsonValueKind.Null, sent.GetProperty("maxActiveKeys").ValueKind);
    }

    [Fact]
    public void ManageBudget_UnlimitedAndLimits_ArePrefilledAndSentAsTheApiReadsThem()
    {
        var config = new BudgetConfig(
            new SpendBudget(SpendType.Unlimited, 0, null), Now,
            new PeriodBudget(false, Money.ToPico(10m), RollingWindow.Week), Now,
            new KeyCountBudget(false, 3), Now);

        var cut = Render(config);

        Assert.Contains("Unlimited", Checked(cut, "Spend budget"));
        Assert.Contains("Rolling", Checked(cut, "Period cap"));
        Assert.Contains("Limit", Checked(cut, "Max active API keys"));
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Save").Click();
        var sent = Assert.Single(_sent);
        Assert.Equal("""{"type":"unlimited"}""", sent.GetProperty("spend").GetRawText());
        Assert.Equal("""{"type":"rolling","limit":"10.00","window":"week"}""", sent.GetProperty("period").GetRawText());
        Assert.Equal("""{"type":"limit","value":3}""", sent.GetProperty("maxActiveKeys").GetRawText());
    }

    [Fact]
    public void ManageBudget_InvalidAmount_ShowsTheParsersMessageInTheSpendField()
    {
        var config = new BudgetConfig(new SpendBudget(SpendType.Fixed, Money.ToPico(10m), Now), Now, null, null, null, null);
        var cut = Render(config);
        var amount = cut.Find("fieldset input:not([type=radio])");

        amount.Input("12.5.0");
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Save").Click();

        var spendField = cut.FindAll("fieldset").Single(f => f.QuerySelector("legend")!.TextContent == "Spend budget");
        Assert.Contains("spend.limit must be a decimal amount in USD", spendField.TextContent);
        var periodField = cut.FindAll("fieldset").Single(f => f.QuerySelector("legend")!.TextContent == "Period cap");
        Assert.DoesNotContain("must be", periodField.TextContent);
    }

    [Fact]
    public void ManageBudget_CurrentCaps_ShowUsedRemainingResetInheritedAndPaused()
    {
        var view = new MemberBudgetView(
            BudgetConfig.Empty,
            new EffectiveSpend(new SpendBudget(SpendType.Monthly, Money.ToPico(50m), Now), "default"),
            new EffectivePeriod(new PeriodBudget(false, Money.ToPico(1m), RollingWindow.Day), "member", Now),
            null,
            new CapStatus("member", "monthly", Money.ToPico(50m), Money.ToPico(12.4m), 0, new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero)),
            new CapStatus("member", "period", Money.ToPico(1m), Money.ToPico(1m), 0, Now.AddHours(3)),
            Money.ToPico(12.4m), 0);

        var cut = Render(BudgetConfig.Empty, CapCards.ForMember(new MemberBudget(view, 2)));

        Assert.Contains("Now: $50.00/month (default) · used $12.40 · remaining $37.60 · resets 2026-08-01 02:00 (Europe/Paris)", cut.Markup);
        Assert.Contains("Now: $1.00/day · paused · used $1.00 · remaining $0.00", cut.Markup);
        Assert.Contains("Now: Not set · used 2", cut.Markup);
    }
}
