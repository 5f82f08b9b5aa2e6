using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Budgets;

namespace Tollgate.Dashboard;

/// <summary>Turns a service's answer into what a form shows: the API's message and field errors, unchanged.</summary>
internal static class SaveResults
{
    /// <summary>Saved, or the problem's detail and field errors.</summary>
    public static SaveResult From<T>(Outcome<T> outcome) =>
        !outcome.Failed ? SaveResult.Saved
        : outcome.FieldErrors.Count > 0 ? new SaveResult(null, outcome.FieldErrors)
        : new SaveResult(outcome.Message, new Dictionary<string, string[]>());

    /// <summary>
    /// Parses a budget document exactly as the API does; null and the 400's field errors when invalid.
    /// </summary>
    public static (BudgetDocument? Document, SaveResult? Invalid) Parse(JsonElement json, bool keyBudget)
    {
        var (document, errors) = BudgetDocument.Parse(json, keyBudget);
        return document is null ? (null, new SaveResult(null, errors)) : (document, null);
    }
}
