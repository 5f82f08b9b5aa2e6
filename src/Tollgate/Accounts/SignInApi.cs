using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Tollgate.Accounts;

/// <summary>Sign-up, sign-in with a session token and cookie, sign-out, and <c>GET /me</c>.</summary>
internal static class SignInApi
{
    /// <summary>401 detail for a failed login, the same whether the email or the password was wrong.</summary>
    public const string InvalidCredentialsMessage = "Invalid email or password.";

    /// <summary>Maps the open routes onto <paramref name="auth"/> (<c>/auth</c>) and the signed-in ones onto <paramref name="signedIn"/>.</summary>
    public static void Map(RouteGroupBuilder auth, RouteGroupBuilder signedIn)
    {
        auth.MapPost("/signup", SignUpAsync);
        auth.MapPost("/login", LogInAsync);
        signedIn.MapPost("/auth/logout", LogOutAsync);
        signedIn.MapGet("/me", GetMeAsync);
    }

    private static async Task<Results<Created<SignupResponse>, ValidationProblem, ProblemHttpResult>> SignUpAsync(
        SignupRequest body, UserStore users, AccountsOptions options, CancellationToken ct)
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

        var user = await users.CreateAsync(email!, name!, Passwords.Hash(password!), ct);
        if (user is null)
        {
            return AccountProblems.Conflict("An account with this email already exists.");
        }

        return TypedResults.Created("/me", new SignupResponse(new UserResponse(user.Id, user.Email, user.Name)));
    }

    private static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> LogInAsync(
        LoginRequest body, HttpContext http, UserStore users, LoginThrottle throttle, AccountsOptions options, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        errors.Required("email", body.Email);
        errors.Required("password", body.Password);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var email = body.Email!.Trim().ToLowerInvariant();
        if (throttle.RetryAfter(email) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                $"Too many failed sign-in attempts for this email; try again in {seconds} seconds.",
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Too many requests");
        }

        var user = await users.FindByEmailAsync(email, ct);
        var valid = user is null ? VerifyNothing(body.Password!) : Passwords.Verify(body.Password!, user.PasswordHash);
        if (!valid || user is null)
        {
            throttle.RecordFailure(email);
            return AccountProblems.Unauthorized(InvalidCredentialsMessage);
        }

        throttle.Reset(email);
        var token = Secrets.NewSessionToken();
        var expiresAt = time.GetUtcNow() + options.SessionLifetime;
        await users.CreateSessionAsync(user.Id, Secrets.Hash(token), expiresAt.ToUnixTimeMilliseconds(), ct);
        http.Response.Cookies.Append(SessionAuthentication.CookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = http.Request.IsHttps,
            Path = "/",
            Expires = expiresAt,
        });
        return TypedResults.Ok(new LoginResponse(
            token, new UserResponse(user.Id, user.Email, user.Name), ApiTime.FromUnixMs(expiresAt.ToUnixTimeMilliseconds())));
    }

    private static async Task<NoContent> LogOutAsync(CurrentUser user, HttpContext http, UserStore users, CancellationToken ct)
    {
        await users.RevokeSessionAsync(user.SessionTokenHash, ct);
        http.Response.Cookies.Delete(SessionAuthentication.CookieName, new CookieOptions { Path = "/" });
        return TypedResults.NoContent();
    }

    private static async Task<Ok<MeResponse>> GetMeAsync(CurrentUser user, UserStore users, CancellationToken ct)
    {
        var memberships = await users.MembershipsAsync(user.UserId, ct);
        return TypedResults.Ok(new MeResponse(
            new UserResponse(user.UserId, user.Email, user.Name),
            [.. memberships.Select(m => new MembershipResponse(m.OrgId, m.MemberId, m.Role))]));
    }

    private static bool VerifyNothing(string password)
    {
        Passwords.VerifyNothing(password);
        return false;
    }
}
