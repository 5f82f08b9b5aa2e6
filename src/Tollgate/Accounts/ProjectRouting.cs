namespace Tollgate.Accounts;

/// <summary>
/// A project's routing setting (<c>PATCH /orgs/{orgId}/projects/{projectId}</c> <c>{"routing": ...}</c>):
/// how the gateway orders a model's providers when a request names only the model.
/// </summary>
internal static class ProjectRouting
{
    /// <summary>
    /// The default: the cheapest mapping available at the request's start first, then the lowest
    /// recent error rate among equal prices; a mapping that failed repeatedly goes last until it recovers.
    /// </summary>
    public const string Price = "price";

    /// <summary>Every accepted value.</summary>
    public static readonly IReadOnlyList<string> Values = [Price];

    /// <summary>Whether <paramref name="value"/> is an accepted setting.</summary>
    public static bool IsValid(string value) => Values.Contains(value, StringComparer.Ordinal);
}
