namespace Tollgate.Accounts;

/// <summary>Registers users, orgs, projects, API keys and sign-in.</summary>
public static class AccountsServices
{
    /// <summary>Adds the accounts services; <see cref="ApiKeyAuthenticator"/> is a singleton because it owns the key cache.</summary>
    public static IServiceCollection AddTollgateAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        // Read now, so a bad setting stops start-up instead of failing the first request that needs it.
        services.AddSingleton(AccountsOptions.FromConfiguration(configuration));
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<OrgStore>();
        services.AddSingleton<KeyStore>();
        services.AddSingleton<MemberStore>();
        services.AddSingleton<InviteStore>();
        services.AddSingleton<Tollgate.Audit.AuditLog>();

        // Application services: the JSON API and the dashboard call the same ones.
        services.AddSingleton<SignInService>();
        services.AddSingleton<OrgService>();
        services.AddSingleton<ProjectService>();
        services.AddSingleton<KeyService>();
        services.AddSingleton<MemberService>();
        services.AddSingleton<Tollgate.Budgets.BudgetService>();
        services.AddSingleton<Tollgate.Audit.AuditService>();
        return services;
    }
}
