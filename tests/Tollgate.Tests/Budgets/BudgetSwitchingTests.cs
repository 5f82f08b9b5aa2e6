using System.Globalization;
using System.Text.Json;
using Tollgate.Budgets;

namespace Tollgate.Tests.Budgets;

public sealed class BudgetSwitchingTests
{
    private static readonly DateTimeOffset Earlier = DateTimeOffset.Parse("2027-03-03T03:00:00Z", CultureInfo.InvariantCulture);
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2027-03-20T12:34:56Z", CultureInfo.InvariantCulture);
    private static readonly DateTimeOffset MarchStart = DateTimeOffset.Parse("2027-03-01T00:00:00Z", CultureInfo.InvariantCulture);

    private static BudgetConfig With(SpendBudget? spend) => BudgetConfig.Empty with { Spend = spend, SpendSetAt = spend is null ? null : Earlier };

    private static BudgetDocument Doc(SpendType? type, long limit = 100) =>
        new(type is null ? null : new SpendBudget(type.Value, type == SpendType.Unlimited ? 0 : limit, null), null, null);

    [Theory]
    [InlineData(null)]
    [InlineData(SpendType.Unlimited)]
    public void NotSetOrUnlimitedToFixed_CountsFromTheSwitch(SpendType? from)
    {
        var before = With(from is null ? null : new SpendBudget(from.Value, 0, null));

        var after = BudgetSwitching.Apply(before, Doc(SpendType.Fixed), Now);

        Assert.Equal(Now, after.Spend!.CountingFrom);
    }

    [Fact]
    public void FixedToMonthly_MonthlyTrackingBeginsAtTheSwitch() =>
        Assert.Equal(Now, BudgetSwitching.Apply(With(new SpendBudget(SpendType.Fixed, 100, Earlier)), Doc(SpendType.Monthly), Now).Spend!.CountingFrom);

    [Fact]
    public void MonthlyToFixed_KeepsTheCurrentMonthsUsedAmount()
    {
        // Monthly since February: the fixed budget keeps counting this month's spend (from March 1).
        var before = With(new SpendBudget(SpendType.Monthly, 100, DateTimeOffset.Parse("2027-02-10T00:00:00Z", CultureInfo.InvariantCulture)));

        Assert.Equal(MarchStart, BudgetSwitching.Apply(before, Doc(SpendType.Fixed), Now).Spend!.CountingFrom);
        // Monthly since mid-March: it keeps counting from then.
        Assert.Equal(Earlier, BudgetSwitching.Apply(With(new SpendBudget(SpendType.Monthly, 100, Earlier)), Doc(SpendType.Fixed), Now).Spend!.CountingFrom);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(SpendType.Unlimited)]
    public void NotSetOrUnlimitedToMonthly_CountsFromTheSwitch(SpendType? from) =>
        Assert.Equal(Now, BudgetSwitching.Apply(With(from is null ? null : new SpendBudget(from.Value, 0, null)), Doc(SpendType.Monthly), Now).Spend!.CountingFrom);

    [Theory]
    [InlineData(SpendType.Fixed)]
    [InlineData(SpendType.Monthly)]
    public void AnyToUnlimited_ClearsTheConfiguration(SpendType from)
    {
        var after = BudgetSwitching.Apply(With(new SpendBudget(from, 100, Earlier)), Doc(SpendType.Unlimited), Now);

        Assert.Equal(SpendType.Unlimited, after.Spend!.Type);
        Assert.Null(after.Spend.CountingFrom);
    }

    [Fact]
    public void AnyToNotSet_ClearsTheOwnCap() =>
        Assert.Null(BudgetSwitching.Apply(With(new SpendBudget(SpendType.Fixed, 100, Earlier)), Doc(null), Now).Spend);

    [Theory]
    [InlineData(SpendType.Fixed)]
    [InlineData(SpendType.Monthly)]
    public void ChangingOnlyTheLimit_KeepsCountingFrom(SpendType type)
    {
        var after = BudgetSwitching.Apply(With(new SpendBudget(type, 100, Earlier)), Doc(type, 250), Now);

        Assert.Equal(Earlier, after.Spend!.CountingFrom);
        Assert.Equal(250, after.Spend.LimitPico);
    }

    public static TheoryData<string, string> InvalidDocuments => new()
    {
        { """{"spend":{"type":"fixed","limit":"10"},"perDay":"5"}""", "perDay" },
        { """{"spend":{"type":"fixed","limit":"10","max":"3"}}""", "spend.max" },
        { """{"spend":{"type":"weekly","limit":"10"}}""", "spend.type" },
        { """{"spend":{"type":"fixed","limit":"-1"}}""", "spend.limit" },
        { """{"spend":{"type":"fixed","limit":"ten"}}""", "spend.limit" },
        { """{"spend":{"type":"fixed","limit":"0.0000000000001"}}""", "spend.limit" },
        { """{"spend":{"type":"fixed"}}""", "spend.limit" },
        { """{"period":{"type":"rolling","limit":"10","window":"fortnight"}}""", "period.window" },
        { """{"period":{"type":"rolling","limit":"10"}}""", "period.window" },
        { """{"maxActiveKeys":{"type":"limit","value":-2}}""", "maxActiveKeys.value" },
        { """{"spend":"unlimited"}""", "spend" },
    };

    [Theory]
    [MemberData(nameof(InvalidDocuments))]
    public void Parse_InvalidDocument_NamesTheField(string json, string field)
    {
        using var doc = JsonDocument.Parse(json);

        var (parsed, errors) = BudgetDocument.Parse(doc.RootElement, keyBudget: false);

        Assert.Null(parsed);
        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public void Parse_KeyBudgetWithMaxActiveKeys_IsRejected()
    {
        using var doc = JsonDocument.Parse("""{"maxActiveKeys":{"type":"limit","value":1}}""");

        Assert.Contains("maxActiveKeys", BudgetDocument.Parse(doc.RootElement, keyBudget: true).Errors.Keys);
    }

    [Fact]
    public void Parse_NullUnlimitedAndZero_StayApart()
    {
        using var doc = JsonDocument.Parse("""{"spend":{"type":"fixed","limit":"0"},"period":{"type":"unlimited"},"maxActiveKeys":null}""");

        var (parsed, _) = BudgetDocument.Parse(doc.RootElement, keyBudget: false);

        Assert.Equal(new SpendBudget(SpendType.Fixed, 0, null), parsed!.Spend);
        Assert.True(parsed.Period!.Unlimited);
        Assert.Null(parsed.MaxActiveKeys);
    }
}
