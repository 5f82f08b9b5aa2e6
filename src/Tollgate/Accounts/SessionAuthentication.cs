namespace Tollgate.Accounts;

/// <summary>
/// Management API authentication, applied once to a route group: the request must carry a live
/// session token, as <c>Authorization: Bearer tgs_...</c> or in the <c>tollgate_session</c> cookie;
/// otherwise 401 with a problem that says what to do. Gateway API keys and master keys are refused
/// by name, so a client that sends the wrong credential learns why.
/// </summary>
internal sealed class SessionAuthentication : IEndpointFilter
{
    /// <summary>The session cookie set by <c>POST /auth/login</c>.</summary>
    public const string CookieName = "tollgate_session";

    /// <summary>401 detail when an API key is presented.</summary>
    public const string ApiKeyMessage = "API keys are not accepted on the management API; sign in and use a session token.";

    /// <summary>401 detail when a master key is presented.</summary>
    public const string MasterKeyMessage = "Master keys are accepted only on /v1/master; sign in and use a session token.";

    /// <summary>401 detail when no credential is presented.</summary>
    public const string MissingMessage = "Sign in first: send the session token as 'Authorization: Bearer <token>' or in the tollgate_session cookie.";

    /// <summary>401 detail for an unknown, revoked or expired session.</summary>
    public const string InvalidMessage = "The session is invalid or has expired; sign in again.";

    private static readonly object ItemKey = new();

    /// <summary>The outcome of reading a request's session.</summary>
    /// <param name="User">The signed-in user, or null.</param>
    /// <param name="Failure">Why there is no user (a 401 detail), or null.</param>
    public readonly record struct SessionCheck(CurrentUser? User, string? Failure);

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var check = await ResolveAsync(context.HttpContext);
        if (check.User is null)
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return AccountProblems.Unauthorized(check.Failure ?? MissingMessage);
        }

        return await next(context);
    }

    /// <summary>Reads and checks the request's session; the answer is kept for the rest of the request.</summary>
    public static async ValueTask<SessionCheck> ResolveAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var known) && known is SessionCheck check)
        {
            return check;
        }

        check = await CheckAsync(context);
        context.Items[ItemKey] = check;
        return check;
    }

    private static async Task<SessionCheck> CheckAsync(HttpContext context)
    {
        var token = ReadToken(context.Request);
        if (string.IsNullOrEmpty(token))
        {
            return new SessionCheck(null, MissingMessage);
        }

        if (token.StartsWith(Secrets.ApiKeyPrefix, StringComparison.Ordinal))
        {
            return new SessionCheck(null, ApiKeyMessage);
        }

        if (token.StartsWith(Secrets.MasterKeyPrefix, StringComparison.Ordinal))
        {
            return new SessionCheck(null, MasterKeyMessage);
        }

        if (!token.StartsWith(Secrets.SessionPrefix, StringComparison.Ordinal) || token.Length != Secrets.Length)
        {
            return new SessionCheck(null, InvalidMessage);
        }

        var users = context.RequestServices.GetRequiredService<UserStore>();
        var tokenHash = Secrets.Hash(token);
        var session = await users.FindLiveSessionAsync(tokenHash, context.RequestAborted);
        return session is null
            ? new SessionCheck(null, InvalidMessage)
            : new SessionCheck(new CurrentUser(session.UserId, session.Email, session.Name, tokenHash), null);
    }

    private static string? ReadToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var bearer = authorization[7..].Trim();
            if (bearer.Length > 0)
            {
                return bearer;
            }
        }

        return request.Cookies[CookieName];
    }
}
