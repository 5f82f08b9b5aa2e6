using System.Globalization;
using System.Text.Json;
using Tollgate.Budgets;

namespace Tollgate.Dashboard;

/// <summary>
/// The Manage budget form: each cap as Not set / Unlimited / a limit. It turns into the same budget
/// document an API client sends (amounts as typed, in strings), so the server's parser judges it
/// and its field errors (<c>spend.limit</c>, ...) come back for the fields they name.
/// </summary>
public sealed class BudgetForm
{
    /// <summary>notset, unlimited, fixed or monthly.</summary>
    public string SpendMode { get; set; } = "notset";

    /// <summary>The spend limit in USD, as typed.</summary>
    public string? SpendAmount { get; set; }

    /// <summary>notset, unlimited or rolling.</summary>
    public string PeriodMode { get; set; } = "notset";

    /// <summary>The period limit in USD, as typed.</summary>
    public string? PeriodAmount { get; set; }

    /// <summary>hour, day, week or month.</summary>
    public string PeriodWindow { get; set; } = "day";

    /// <summary>notset, unlimited or limit.</summary>
    public string KeysMode { get; set; } = "notset";

    /// <summary>The max active keys, as typed.</summary>
    public string? KeysValue { get; set; }

    /// <summary>A key budget has only spend and period.</summary>
    public bool KeyBudget { get; init; }

    /// <summary>The form for a stored configuration.</summary>
    internal static BudgetForm From(BudgetConfig config, bool keyBudget = false)
    {
        var form = new BudgetForm { KeyBudget = keyBudget };
        switch (config.Spend)
        {
            case { Type: SpendType.Unlimited }:
                form.SpendMode = "unlimited";
                break;
            case { } spend:
                form.SpendMode = spend.Type == SpendType.Fixed ? "fixed" : "monthly";
                form.SpendAmount = Amount(spend.LimitPico);
                break;
        }

        switch (config.Period)
        {
            case { Unlimited: true }:
                form.PeriodMode = "unlimited";
                break;
            case { } period:
                form.PeriodMode = "rolling";
                form.PeriodAmount = Amount(period.LimitPico);
                form.PeriodWindow = BudgetWindows.Name(period.Window);
                break;
        }

        switch (config.MaxActiveKeys)
        {
            case { Unlimited: true }:
                form.KeysMode = "unlimited";
                break;
            case { } keys:
                form.KeysMode = "limit";
                form.KeysValue = keys.Value.ToString(CultureInfo.InvariantCulture);
                break;
        }

        return form;
    }

    /// <summary>The budget document as JSON, as the API receives it.</summary>
    public JsonElement ToDocument()
    {
        var doc = new Dictionary<string, object?>
        {
            ["spend"] = SpendMode switch
            {
                "unlimited" => new Dictionary<string, object?> { ["type"] = "unlimited" },
                "fixed" or "monthly" => new Dictionary<string, object?> { ["type"] = SpendMode, ["limit"] = SpendAmount?.Trim() ?? "" },
                _ => null,
            },
            ["period"] = PeriodMode switch
            {
                "unlimited" => new Dictionary<string, object?> { ["type"] = "unlimited" },
                "rolling" => new Dictionary<string, object?> { ["type"] = "rolling", ["limit"] = PeriodAmount?.Trim() ?? "", ["window"] = PeriodWindow },
                _ => null,
            },
        };
        if (!KeyBudget)
        {
            doc["maxActiveKeys"] = KeysMode switch
            {
                "unlimited" => new Dictionary<string, object?> { ["type"] = "unlimited" },
                // A whole number goes as a number; anything else as typed, for the server to refuse with its message.
                "limit" => new Dictionary<string, object?>
                {
                    ["type"] = "limit",
                    ["value"] = int.TryParse(KeysValue?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : KeysValue ?? "",
                },
                _ => null,
            };
        }

        return JsonSerializer.SerializeToElement(doc);
    }

    private static string Amount(long pico) => Money.FromPico(pico).ToString("0.00##########", CultureInfo.InvariantCulture);
}

/// <summary>The answer to saving a form: done, or the server's message and field errors.</summary>
/// <param name="Message">A problem not tied to a field (403, 404, 409), or null.</param>
/// <param name="FieldErrors">Field path → messages, from the server.</param>
public sealed record SaveResult(string? Message, IDictionary<string, string[]> FieldErrors)
{
    /// <summary>Saved.</summary>
    public static readonly SaveResult Saved = new(null, new Dictionary<string, string[]>());

    /// <summary>True when the change was made.</summary>
    public bool Ok => Message is null && FieldErrors.Count == 0;
}
