using System.Text.Json;

namespace Tollgate.Dashboard;

/// <summary>The Create API key form, turned into the API's request by <see cref="ToApi"/>.</summary>
/// <param name="Name">Key name.</param>
/// <param name="ProjectId">Project.</param>
/// <param name="ExpiresAt">ISO 8601 instant, or null.</param>
/// <param name="SpendMode">notset, unlimited, fixed or monthly.</param>
/// <param name="SpendAmount">The limit as typed.</param>
public sealed record KeyRequest(string? Name, string? ProjectId, string? ExpiresAt, string SpendMode, string? SpendAmount)
{
    /// <summary>The body of <c>POST /orgs/{orgId}/keys</c>.</summary>
    internal Tollgate.Accounts.CreateKeyRequest ToApi()
    {
        var budget = SpendMode switch
        {
            "unlimited" => JsonSerializer.SerializeToElement(new { spend = new { type = "unlimited" } }),
            "fixed" or "monthly" => JsonSerializer.SerializeToElement(new { spend = new { type = SpendMode, limit = SpendAmount?.Trim() ?? "" } }),
            _ => default,
        };
        return new Tollgate.Accounts.CreateKeyRequest(ProjectId, Name, ExpiresAt, budget);
    }
}
