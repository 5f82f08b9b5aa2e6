namespace Tollgate.Accounts;

/// <summary>
/// The signed-in user of a management API request. Handlers in a group guarded by
/// <see cref="SessionAuthentication"/> take it as a parameter; the filter has already answered 401
/// for requests without a live session, so the parameter is never missing there.
/// </summary>
/// <param name="UserId">The user's id.</param>
/// <param name="Email">The user's email (lower case).</param>
/// <param name="Name">The user's name.</param>
/// <param name="SessionTokenHash">Hash of the session token the request came with (for logout).</param>
internal sealed record CurrentUser(string UserId, string Email, string Name, string SessionTokenHash)
{
    /// <summary>Minimal API binding: the session resolved for this request (resolved once, then reused).</summary>
    public static async ValueTask<CurrentUser?> BindAsync(HttpContext context) =>
        (await SessionAuthentication.ResolveAsync(context)).User;
}
