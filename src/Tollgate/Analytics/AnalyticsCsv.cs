using System.Text;

namespace Tollgate.Analytics;

/// <summary>CSV exports (RFC 4180) of the activity and members answers: the same numbers as the JSON.</summary>
internal static class AnalyticsCsv
{
    /// <summary>One line per day and group; a day with no usage has one line with empty group columns.</summary>
    public static string Activity(AnalyticsApi.ActivityResponse activity)
    {
        var csv = new StringBuilder("date,groupBy,key,label,cost,requests,tokens\r\n");
        foreach (var day in activity.Days)
        {
            if (day.Groups.Count == 0)
            {
                Line(csv, day.Date, activity.GroupBy, "", "", day.Cost, day.Requests.ToString(System.Globalization.CultureInfo.InvariantCulture), "0");
            }

            foreach (var g in day.Groups)
            {
                Line(csv, day.Date, activity.GroupBy, g.Key, g.Label, g.Cost, Number(g.Requests), Number(g.Tokens));
            }
        }

        return csv.ToString();
    }

    /// <summary>One line per member: the Team page columns.</summary>
    public static string Members(AnalyticsApi.MembersResponse members)
    {
        var csv = new StringBuilder("memberId,name,email,role,cost,tokens,inputTokens,outputTokens,requests,activeKeys\r\n");
        foreach (var m in members.Data)
        {
            Line(csv, m.MemberId, m.Name, m.Email, m.Role, m.Cost, Number(m.Tokens), Number(m.InputTokens), Number(m.OutputTokens), Number(m.Requests), Number(m.ActiveKeys));
        }

        return csv.ToString();
    }

    private static string Number(long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void Line(StringBuilder csv, params string[] fields) => csv.AppendJoin(',', fields.Select(Quote)).Append("\r\n");

    // A leading =, +, - or @ in text is prefixed with ' so spreadsheets do not run it as a formula.
    private static string Quote(string value)
    {
        if (value.Length == 0)
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' && !decimal.TryParse(value, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
