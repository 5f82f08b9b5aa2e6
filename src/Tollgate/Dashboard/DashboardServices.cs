using System.Security.Claims;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;
using MudBlazor.Services;
using Tollgate.Accounts;

namespace Tollgate.Dashboard;

/// <summary>
/// The web dashboard: Blazor components rendered on the server (interactive over a SignalR circuit),
/// served by the same process as the API. Pages call the application services in-process, never the
/// API over HTTP. Sign-in pages are plain server-rendered forms (they set the API's session cookie);
/// everything under <c>/dashboard</c> is interactive.
/// </summary>
public static class DashboardServices
{
    /// <summary>Claim types the dashboard puts on the request user, read back by <see cref="DashboardSession"/>.</summary>
    internal const string SessionClaim = "tollgate:session";

    /// <summary>The client IP the circuit was opened from, for audit entries of page actions.</summary>
    internal const string IpClaim = "tollgate:ip";

    /// <summary>
    /// Adds Razor components, the interactive server render mode, MudBlazor and the per-circuit
    /// dashboard state; <c>Tollgate:Http:KnownProxies</c> (comma-separated addresses) are trusted for
    /// <c>X-Forwarded-For</c>/<c>-Proto</c>, so the session cookie is <c>Secure</c> behind a TLS proxy;
    /// <c>Tollgate:Dashboard:KeysPath</c> is a folder shared by every node for the keys that protect
    /// form tokens.
    /// </summary>
    public static IServiceCollection AddTollgateDashboard(this IServiceCollection services, IConfiguration configuration)
    {
        var proxies = (configuration["Tollgate:Http:KnownProxies"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            }
        });
        if (configuration["Tollgate:Dashboard:KeysPath"] is { Length: > 0 } keysPath)
        {
            services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keysPath)).SetApplicationName("Tollgate");
        }

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddMudServices();
        services.AddScoped(sp => new DashboardSession(
            sp.GetRequiredService<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider>(),
            sp.GetRequiredService<UserStore>(), sp.GetRequiredService<OrgStore>(), sp.GetRequiredService<Tollgate.Audit.AuditLog>()));
        services.AddScoped<ViewerClock>();
        return services;
    }

    /// <summary>Honours forwarded headers from <c>Tollgate:Http:KnownProxies</c> only (none: the connection is taken as it is).</summary>
    public static WebApplication UseTollgateForwardedHeaders(this WebApplication app)
    {
        if (!string.IsNullOrWhiteSpace(app.Configuration["Tollgate:Http:KnownProxies"]))
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>
    /// Maps the dashboard: the session user on dashboard requests, static assets, the components,
    /// sign-out, and <c>/</c> → <c>/dashboard</c>. Call after the API is mapped.
    /// </summary>
    public static WebApplication MapTollgateDashboard(this WebApplication app)
    {
        // Only dashboard requests (pages, the circuit's hub) pay for reading the session into a user;
        // the gateway and the JSON API never pass through this.
        app.UseWhen(IsDashboardRequest, branch => branch.Use(async (context, next) =>
        {
            var user = (await SessionAuthentication.ResolveAsync(context)).User;
            if (user is not null)
            {
                context.User = new ClaimsPrincipal(new ClaimsIdentity(
                    [
                        new Claim(ClaimTypes.NameIdentifier, user.UserId),
                        new Claim(ClaimTypes.Email, user.Email),
                        new Claim(ClaimTypes.Name, user.Name),
                        new Claim(SessionClaim, user.SessionTokenHash),
                        new Claim(IpClaim, RequestAuditIp(context)),
                    ],
                    "tollgate-session"));
            }

            await next(context);
        }));
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapGet("/", () => TypedResults.Redirect("/dashboard"));
        app.MapPost("/dashboard/logout", SignOutAsync);
        return app;
    }

    private static string RequestAuditIp(HttpContext context) => Tollgate.Audit.RequestAudit.ClientIp(context) ?? "";

    private static bool IsDashboardRequest(HttpContext context)
    {
        var path = context.Request.Path;
        return path.StartsWithSegments("/dashboard") || path.StartsWithSegments("/_blazor")
            || path.StartsWithSegments("/login") || path.StartsWithSegments("/signup")
            || (path.StartsWithSegments("/invites") && HttpMethods.IsGet(context.Request.Method))
            || (path.StartsWithSegments("/invites") && context.Request.HasFormContentType);
    }

    // A form post (antiforgery-checked because it binds the form): ends the session for every client
    // that uses it, then clears the cookie.
    private static async Task<IResult> SignOutAsync([FromForm] IFormCollection form, HttpContext context, SignInService signIn)
    {
        _ = form;
        var user = (await SessionAuthentication.ResolveAsync(context)).User;
        if (user is not null)
        {
            await signIn.LogOutAsync(user.SessionTokenHash, context.RequestAborted);
        }

        SignInService.DeleteCookie(context);
        return TypedResults.Redirect("/login");
    }
}
