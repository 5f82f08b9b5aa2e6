namespace Tollgate.Dashboard;

/// <summary>Return addresses after sign-in: only paths of this site, never another host.</summary>
internal static class LocalReturn
{
    /// <summary><paramref name="returnUrl"/> when it is a local path (<c>/x</c>, not <c>//host</c> or <c>/\host</c>); else <paramref name="fallback"/>.</summary>
    public static string Or(string? returnUrl, string fallback) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) ? url : fallback;
}
