using System.Globalization;
using System.Text.Json;

namespace Tollgate.Budgets;

/// <summary>
/// A budget document as sent by a client (api.md "Budgets"). Parsing is strict: an unknown field,
/// an unknown <c>type</c> or <c>window</c>, or a negative, malformed or over-precise amount is an
/// error naming the field — never silently "unlimited". A cap left out, or <c>null</c>, is <b>not set</b>.
/// </summary>
public sealed record BudgetDocument(SpendBudget? Spend, PeriodBudget? Period, KeyCountBudget? MaxActiveKeys)
{
    /// <summary>Amounts are whole pico-dollars: at most 12 decimal places.</summary>
    public const int MaxDecimals = Money.MaxDecimals;

    /// <summary>Parses a document; <paramref name="keyBudget"/> documents have no <c>maxActiveKeys</c>.</summary>
    public static (BudgetDocument? Document, Dictionary<string, string[]> Errors) Parse(JsonElement root, bool keyBudget)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors[""] = ["A budget document must be a JSON object."];
            return (null, errors);
        }

        SpendBudget? spend = null;
        PeriodBudget? period = null;
        KeyCountBudget? keys = null;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "spend":
                    spend = ParseSpend(property.Value, errors);
                    break;
                case "period":
                    period = ParsePeriod(property.Value, errors);
                    break;
                case "maxActiveKeys" when !keyBudget:
                    keys = ParseKeys(property.Value, errors);
                    break;
                default:
                    errors[property.Name] = [keyBudget && property.Name == "maxActiveKeys"
                        ? "maxActiveKeys is a member cap; a key budget has only spend and period."
                        : $"Unknown field '{property.Name}'. A budget document has {(keyBudget ? "spend and period" : "spend, period and maxActiveKeys")}."];
                    break;
            }
        }

        return errors.Count > 0 ? (null, errors) : (new BudgetDocument(spend, period, keys), errors);
    }

    private static SpendBudget? ParseSpend(JsonElement value, Dictionary<string, string[]> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var fields = Fields(value, "spend", errors, "type", "limit");
        if (fields is null)
        {
            return null;
        }

        switch (Type(fields, "spend", errors))
        {
            case "unlimited":
                NoField(fields, "spend", "limit", "an unlimited budget has no limit", errors);
                return new SpendBudget(SpendType.Unlimited, 0, null);
            case "fixed":
                return Amount(fields, "spend.limit", errors) is { } fixedLimit ? new SpendBudget(SpendType.Fixed, fixedLimit, null) : null;
            case "monthly":
                return Amount(fields, "spend.limit", errors) is { } monthlyLimit ? new SpendBudget(SpendType.Monthly, monthlyLimit, null) : null;
            case null:
                return null;
            case var other:
                errors["spend.type"] = [$"Unknown spend budget type '{other}'; use unlimited, fixed or monthly."];
                return null;
        }
    }

    private static PeriodBudget? ParsePeriod(JsonElement value, Dictionary<string, string[]> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var fields = Fields(value, "period", errors, "type", "limit", "window");
        if (fields is null)
        {
            return null;
        }

        switch (Type(fields, "period", errors))
        {
            case "unlimited":
                NoField(fields, "period", "limit", "an unlimited period cap has no limit", errors);
                NoField(fields, "period", "window", "an unlimited period cap has no window", errors);
                return new PeriodBudget(true, 0, RollingWindow.Day);
            case "rolling":
                var limit = Amount(fields, "period.limit", errors);
                RollingWindow window = default;
                if (!fields.TryGetValue("window", out var w) || w.ValueKind != JsonValueKind.String || !BudgetWindows.TryParse(w.GetString(), out window))
                {
                    errors["period.window"] = [w.ValueKind == JsonValueKind.Undefined
                        ? "period.window is required: hour, day, week or month."
                        : $"Unknown window '{(w.ValueKind == JsonValueKind.String ? w.GetString() : w.GetRawText())}'; use hour, day, week or month."];
                    return null;
                }

                return limit is { } l ? new PeriodBudget(false, l, window) : null;
            case null:
                return null;
            case var other:
                errors["period.type"] = [$"Unknown period cap type '{other}'; use unlimited or rolling."];
                return null;
        }
    }

    private static KeyCountBudget? ParseKeys(JsonElement value, Dictionary<string, string[]> errors)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var fields = Fields(value, "maxActiveKeys", errors, "type", "value");
        if (fields is null)
        {
            return null;
        }

        switch (Type(fields, "maxActiveKeys", errors))
        {
            case "unlimited":
                NoField(fields, "maxActiveKeys", "value", "an unlimited cap has no value", errors);
                return new KeyCountBudget(true, 0);
            case "limit":
                if (!fields.TryGetValue("value", out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < 0)
                {
                    errors["maxActiveKeys.value"] = ["maxActiveKeys.value must be a whole number, 0 or more."];
                    return null;
                }

                return new KeyCountBudget(false, n);
            case null:
                return null;
            case var other:
                errors["maxActiveKeys.type"] = [$"Unknown maxActiveKeys type '{other}'; use unlimited or limit."];
                return null;
        }
    }

    private static Dictionary<string, JsonElement>? Fields(JsonElement value, string name, Dictionary<string, string[]> errors, params string[] allowed)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors[name] = [$"{name} must be null or an object."];
            return null;
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in value.EnumerateObject())
        {
            if (Array.IndexOf(allowed, p.Name) < 0)
            {
                errors[$"{name}.{p.Name}"] = [$"Unknown field '{name}.{p.Name}'."];
                continue;
            }

            fields[p.Name] = p.Value;
        }

        return fields;
    }

    private static string? Type(Dictionary<string, JsonElement> fields, string name, Dictionary<string, string[]> errors)
    {
        if (!fields.TryGetValue("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            errors[$"{name}.type"] = [$"{name}.type is required."];
            return null;
        }

        return type.GetString();
    }

    private static void NoField(Dictionary<string, JsonElement> fields, string name, string field, string why, Dictionary<string, string[]> errors)
    {
        if (fields.ContainsKey(field))
        {
            errors[$"{name}.{field}"] = [$"{name}.{field} is not allowed: {why}."];
        }
    }

    /// <summary>A non-negative decimal string (or number) with at most <see cref="MaxDecimals"/> decimals, in pico-dollars.</summary>
    private static long? Amount(Dictionary<string, JsonElement> fields, string path, Dictionary<string, string[]> errors)
    {
        var field = path[(path.IndexOf('.', StringComparison.Ordinal) + 1)..];
        if (!fields.TryGetValue(field, out var value))
        {
            errors[path] = [$"{path} is required."];
            return null;
        }

        if (!Money.TryRead(value, out var pico, out var problem))
        {
            errors[path] = [$"{path} {problem}"];
            return null;
        }

        return pico;
    }
}

/// <summary>The switching table of budgets.md: how a new document's spend budget counts, given the old one.</summary>
public static class BudgetSwitching
{
    /// <summary>The stored configuration after replacing <paramref name="before"/> with <paramref name="document"/> at <paramref name="now"/>.</summary>
    public static BudgetConfig Apply(BudgetConfig before, BudgetDocument document, DateTimeOffset now)
    {
        var old = before.Spend;
        var next = document.Spend;
        SpendBudget? spend = next;
        if (next is { Type: SpendType.Fixed or SpendType.Monthly })
        {
            DateTimeOffset? countingFrom = (old?.Type, next.Type) switch
            {
                // Changing only the limit of the same type: used amount unchanged.
                (SpendType.Fixed, SpendType.Fixed) or (SpendType.Monthly, SpendType.Monthly) => old!.CountingFrom,
                // monthly → fixed: the current month's used amount is kept; the monthly reset stops.
                (SpendType.Monthly, SpendType.Fixed) => Later(old!.CountingFrom, BudgetWindows.MonthStart(now)),
                // not set / unlimited → fixed or monthly, fixed → monthly: counting begins now.
                _ => now,
            };
            spend = next with { CountingFrom = countingFrom };
        }

        var spendChanged = !Equals(StripCounting(old), StripCounting(spend));
        var periodChanged = !Equals(before.Period, document.Period);
        var keysChanged = !Equals(before.MaxActiveKeys, document.MaxActiveKeys);
        return new BudgetConfig(
            spend, spend is null ? null : spendChanged ? now : before.SpendSetAt,
            document.Period, document.Period is null ? null : periodChanged ? now : before.PeriodSetAt,
            document.MaxActiveKeys, document.MaxActiveKeys is null ? null : keysChanged ? now : before.MaxKeysSetAt);
    }

    private static SpendBudget? StripCounting(SpendBudget? s) => s is null ? null : s with { CountingFrom = null };

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}
