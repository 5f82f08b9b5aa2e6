using System.Globalization;
using System.Text.RegularExpressions;

namespace Tollgate.Tests.Operations;

/// <summary>Reads samples out of a Prometheus text exposition.</summary>
internal static partial class PrometheusText
{
    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    public static double Sum(string text, string name, params (string Label, string Value)[] labels)
    {
        var total = 0.0;
        foreach (var line in text.Split('\n'))
        {
            var match = Sample().Match(line);
            if (!match.Success || match.Groups["name"].Value != name)
            {
                continue;
            }

            var found = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups["k"].Value, m => m.Groups["v"].Value);
            if (labels.All(l => found.TryGetValue(l.Label, out var v) && v == l.Value))
            {
                total += double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)")]
    private static partial Regex Sample();

    [GeneratedRegex("(?<k>[a-zA-Z_][a-zA-Z0-9_]*)=\"(?<v>(?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();
}
