using System.Globalization;
using Tollgate.Operations;

namespace Tollgate.Accounts;

/// <summary>Sign-up, sign-in with a session token and cookie, sign-out, and <c>GET /me</c>, over <see cref="SignInService"/>.</summary>
internal static class SignInApi
{
    /// <summary>401 detail for a failed login, the same whether the email or the password was wrong.</summary>
    public const string InvalidCredentialsMessage = SignInService.InvalidCredentialsMessage;

    /// <summary>Maps the open routes onto <paramref name="auth"/> (<c>/auth</c>) and the signed-in ones onto <paramref name="signedIn"/>.</summary>
    public static void Map(RouteGroupBuilder auth, RouteGroupBuilder signedIn)
    {
        auth.MapPost("/signup", async (SignupRequest body, SignInService service, CancellationToken ct) =>
            (await service.SignUpAsync(body, ct)).ToResult(user => TypedResults.Created("/me", new SignupResponse(new UserResponse(user.Id, user.Email, user.Name)))))
            .Answers<SignupResponse>(StatusCodes.Status201Created).Refuses(400, 403, 409);
        auth.MapPost("/login", LogInAsync)
            .Answers<LoginResponse>().Refuses(400, 401, 429);
        signedIn.MapPost("/auth/logout", LogOutAsync)
            .AnswersNoContent();
        signedIn.MapGet("/me", GetMeAsync)
            .Answers<MeResponse>();
    }

    private static async Task<IResult> LogInAsync(LoginRequest body, HttpContext http, SignInService service, CancellationToken ct)
    {
        var (outcome, retryAfter) = await service.LogInAsync(body, ct, Tollgate.Audit.RequestAudit.ClientIp(http) ?? "");
        if (retryAfter is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return outcome.ToResult(session =>
        {
            SignInService.SetCookie(http, session);
            return TypedResults.Ok(new LoginResponse(
                session.Token, new UserResponse(session.User.Id, session.User.Email, session.User.Name), ApiTime.FromUnixMs(session.ExpiresAt.ToUnixTimeMilliseconds())));
        });
    }

    private static async Task<IResult> LogOutAsync(CurrentUser user, HttpContext http, SignInService service, CancellationToken ct)
    {
        await service.LogOutAsync(user.SessionTokenHash, ct);
        SignInService.DeleteCookie(http);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> GetMeAsync(CurrentUser user, UserStore users, CancellationToken ct)
    {
        var memberships = await users.MembershipsAsync(user.UserId, ct);
        return TypedResults.Ok(new MeResponse(
            new UserResponse(user.UserId, user.Email, user.Name),
            [.. memberships.Select(m => new MembershipResponse(m.OrgId, m.MemberId, m.Role))]));
    }
}
