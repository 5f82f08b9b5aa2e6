using System.Globalization;
using Tollgate.Budgets;

namespace Tollgate.Tests.Budgets;

public sealed class CapCounterTests
{
    private static DateTimeOffset T(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [Fact]
    public void Monthly_Jan31ToFeb1_ResetsAtMidnightUtcOnTheFirst()
    {
        var counter = new MonthlyCounter(T("2027-01-31T10:00:00Z"), 0, null);
        counter.Add(T("2027-01-31T23:59:59.999Z"), 500);

        Assert.Equal(500, counter.UsedPico(T("2027-01-31T23:59:59.999Z")));
        Assert.Equal(T("2027-02-01T00:00:00Z"), counter.ResetsAt(T("2027-01-31T23:59:59.999Z")));
        Assert.Equal(0, counter.UsedPico(T("2027-02-01T00:00:00Z")));
    }

    [Theory]
    [InlineData("2027-02-28T12:00:00Z")] // 28-day February
    [InlineData("2028-02-29T12:00:00Z")] // leap year
    public void Monthly_EndOfFebruary_ResetsExactlyOnceOnMarch1(string lastDay)
    {
        var day = T(lastDay);
        var counter = new MonthlyCounter(day, 0, null);
        counter.Add(day, 100);
        var march1 = new DateTimeOffset(day.Year, 3, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(100, counter.UsedPico(march1.AddTicks(-1)));
        Assert.Equal(march1, counter.ResetsAt(day));
        Assert.Equal(0, counter.UsedPico(march1));
        counter.Add(march1.AddHours(1), 40);
        // No second reset in March: spend stays until April 1.
        Assert.Equal(40, counter.UsedPico(march1.AddDays(30)));
        Assert.Equal(march1.AddMonths(1), counter.ResetsAt(march1.AddDays(30)));
        Assert.Equal(0, counter.UsedPico(march1.AddMonths(1)));
    }

    [Fact]
    public void Monthly_SpendBeforeCountingFrom_DoesNotCount()
    {
        var switchedAt = T("2027-03-10T08:00:00Z");
        var counter = new MonthlyCounter(switchedAt, 0, switchedAt);

        counter.Add(switchedAt.AddMilliseconds(-1), 100);
        counter.Add(switchedAt, 7);

        Assert.Equal(7, counter.UsedPico(switchedAt));
    }

    [Fact]
    public void Rolling_DayWindow_MovesBucketByBucketOf15Minutes()
    {
        var counter = new RollingCounter(RollingWindow.Day, null, []);
        counter.Add(T("2027-05-01T10:07:00Z"), 10); // bucket 10:00
        counter.Add(T("2027-05-01T10:20:00Z"), 20); // bucket 10:15

        Assert.Equal(30, counter.UsedPico(T("2027-05-02T09:59:59Z")));
        Assert.Equal(T("2027-05-02T10:00:00Z"), counter.ResetsAt(T("2027-05-02T09:59:59Z")));
        // At 10:00 the next day, the 10:00 bucket's start is no longer inside (t − 24h, t].
        Assert.Equal(20, counter.UsedPico(T("2027-05-02T10:00:00Z")));
        Assert.Equal(T("2027-05-02T10:15:00Z"), counter.ResetsAt(T("2027-05-02T10:00:00Z")));
        Assert.Equal(0, counter.UsedPico(T("2027-05-02T10:15:00Z")));
        Assert.Null(counter.ResetsAt(T("2027-05-02T10:15:00Z")));
    }

    [Theory]
    [InlineData(RollingWindow.Hour, 60_000L)]
    [InlineData(RollingWindow.Week, 3_600_000L)]
    [InlineData(RollingWindow.Month, 21_600_000L)]
    public void Rolling_ResetsAt_ReachedLowersUsage(RollingWindow window, long widthMs)
    {
        var counter = new RollingCounter(window, null, []);
        var at = T("2027-07-04T13:37:11Z");
        counter.Add(at, 99);
        var resetsAt = counter.ResetsAt(at)!.Value;

        Assert.Equal(BudgetWindows.BucketStart(at.ToUnixTimeMilliseconds(), widthMs) + (long)BudgetWindows.Duration(window).TotalMilliseconds, resetsAt.ToUnixTimeMilliseconds());
        Assert.Equal(99, counter.UsedPico(resetsAt.AddMilliseconds(-1)));
        Assert.Equal(0, counter.UsedPico(resetsAt));
    }

    [Fact]
    public void Rolling_MonthWindow_IsThirtyDays()
    {
        Assert.Equal(TimeSpan.FromDays(30), BudgetWindows.Duration(RollingWindow.Month));
        Assert.Equal(TimeSpan.FromHours(6), BudgetWindows.BucketWidth(RollingWindow.Month));
        Assert.Equal(TimeSpan.FromMinutes(1), BudgetWindows.BucketWidth(RollingWindow.Hour));
        Assert.Equal(TimeSpan.FromHours(1), BudgetWindows.BucketWidth(RollingWindow.Week));
    }

    [Fact]
    public void Total_FixedBudget_NeverResets()
    {
        var counter = new TotalCounter(5, T("2027-01-01T00:00:00Z"));
        counter.Add(T("2026-12-31T23:59:59Z"), 100); // before countingFrom
        counter.Add(T("2027-06-01T00:00:00Z"), 10);

        Assert.Equal(15, counter.UsedPico(T("2030-01-01T00:00:00Z")));
        Assert.Null(counter.ResetsAt(T("2030-01-01T00:00:00Z")));
    }

    [Theory]
    [InlineData(50_000_000_000_000L, "$50.00")]
    [InlineData(49_994_000_000_000L, "$49.99")]
    [InlineData(49_995_000_000_000L, "$50.00")] // half-up
    [InlineData(4_000_000_000L, "$0.004")]   // more decimals rather than $0.00
    [InlineData(12_345_600_000L, "$0.01")]
    [InlineData(0L, "$0.00")]
    public void Usd_FormatsAmountsForMessages(long pico, string expected) => Assert.Equal(expected, BudgetMessages.Usd(pico));
}
