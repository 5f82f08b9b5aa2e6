namespace Tollgate.Dashboard;

/// <summary>One series of a chart: its name and one value per bar.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<decimal> Values);
