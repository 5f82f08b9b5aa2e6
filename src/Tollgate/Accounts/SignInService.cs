using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Tollgate.Accounts;

/// <summary>A new session: the token (for the cookie or a bearer header) and when it expires.</summary>
internal sealed record NewSession(string Token, UserStore.UserRow User, DateTimeOffset ExpiresAt);

/// <summary>
/// Sign-up, sign-in and sign-out, for the API and the dashboard's sign-in pages alike: the same
/// throttle, the same password check and the same session tokens.
/// </summary>
internal sealed class SignInService(UserStore users, LoginThrottle throttle, AccountsOptions options, TimeProvider time)
{
    /// <summary>401 detail for a failed login, the same whether the email or the password was wrong.</summary>
    public const string InvalidCredentialsMessage = "Invalid email or password.";

    /// <summary>Whether sign-up is open on this server.</summary>
    public bool SignupOpen => options.AllowSignup;

    /// <summary>Creates an account.</summary>
    public async Task<Outcome<UserStore.UserRow>> SignUpAsync(SignupRequest body, CancellationToken ct)
    {
        if (!options.AllowSignup)
        {
            return AccountProblems.Forbidden("Sign-up is closed on this server; ask an org owner to invite you.");
        }

        var errors = new FieldErrors();
        var email = errors.Email(body.Email);
        var password = errors.NewPassword(body.Password);
        var name = errors.Name("name", body.Name);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var user = await users.CreateAsync(email!, name!, Passwords.Hash(password!, options.PasswordIterations), ct);
        if (user is null)
        {
            return AccountProblems.Conflict("An account with this email already exists.");
        }

        return user;
    }

    /// <summary>
    /// Checks email and password (throttled per email) and opens a session; with a 429, the whole
    /// seconds until the email may try again.
    /// </summary>
    public async Task<(Outcome<NewSession> Outcome, int? RetryAfterSeconds)> LogInAsync(LoginRequest body, CancellationToken ct, string address = "")
    {
        var errors = new FieldErrors();
        errors.Required("email", body.Email);
        errors.Required("password", body.Password);
        if (errors.Any)
        {
            return (errors.ToProblem(), null);
        }

        var email = body.Email!.Trim().ToLowerInvariant();
        if (throttle.RetryAfter(email, address) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            return (TypedResults.Problem(
                $"Too many failed sign-in attempts; try again in {seconds} seconds.",
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many requests"), seconds);
        }

        var user = await users.FindByEmailAsync(email, ct);
        var valid = user is null ? VerifyNothing(body.Password!) : Passwords.Verify(body.Password!, user.PasswordHash);
        if (!valid || user is null)
        {
            throttle.RecordFailure(email, address);
            return (AccountProblems.Unauthorized(InvalidCredentialsMessage), null);
        }

        throttle.Reset(email, address);
        var token = Secrets.NewSessionToken();
        var expiresAt = time.GetUtcNow() + options.SessionLifetime;
        await users.CreateSessionAsync(user.Id, Secrets.Hash(token), expiresAt.ToUnixTimeMilliseconds(), ct);
        return (new NewSession(token, user, expiresAt), null);
    }

    /// <summary>Ends a session everywhere it is used (API clients and dashboard pages alike).</summary>
    public Task LogOutAsync(string sessionTokenHash, CancellationToken ct) => users.RevokeSessionAsync(sessionTokenHash, ct);

    /// <summary>The session cookie: HttpOnly, SameSite=Lax, Secure when the request came over TLS.</summary>
    public static void SetCookie(HttpContext http, NewSession session) =>
        http.Response.Cookies.Append(SessionAuthentication.CookieName, session.Token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = http.Request.IsHttps,
            Path = "/",
            Expires = session.ExpiresAt,
        });

    /// <summary>Removes the session cookie.</summary>
    public static void DeleteCookie(HttpContext http) =>
        http.Response.Cookies.Delete(SessionAuthentication.CookieName, new CookieOptions { Path = "/" });

    private static bool VerifyNothing(string password)
    {
        Passwords.VerifyNothing(password);
        return false;
    }
}
