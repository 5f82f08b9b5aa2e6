namespace Tollgate.Accounts;

/// <summary>Accounts settings, read once from configuration.</summary>
/// <param name="AllowSignup"><c>Tollgate:Auth:AllowSignup</c> (default true): whether <c>POST /auth/signup</c> is open.</param>
/// <param name="SessionLifetime"><c>Tollgate:Auth:SessionDays</c> (default 30): how long a session token works.</param>
/// <param name="DefaultPlan"><c>Tollgate:DefaultPlan</c> (default <c>enterprise</c>): the plan of new orgs.</param>
/// <param name="DefaultBillingMode"><c>Tollgate:Billing:DefaultMode</c> (default <c>byok</c>): the billing mode of new orgs.</param>
internal sealed record AccountsOptions(bool AllowSignup, TimeSpan SessionLifetime, string DefaultPlan, string DefaultBillingMode)
{
    /// <summary>
    /// <c>Tollgate:Auth:PasswordIterations</c> (default <see cref="Passwords.Iterations"/>): PBKDF2 cost of new
    /// password hashes; tests that sign many users up lower it. Stored hashes keep their own count.
    /// </summary>
    public int PasswordIterations { get; init; } = Passwords.Iterations;

    private static readonly string[] Plans = ["free", "pro", "enterprise"];
    private static readonly string[] BillingModes = ["credits", "byok"];

    /// <summary>Reads and validates the settings; a bad value fails start-up with a message naming the key.</summary>
    public static AccountsOptions FromConfiguration(IConfiguration configuration)
    {
        var allowSignup = configuration.GetValue("Tollgate:Auth:AllowSignup", true);
        var sessionDays = configuration.GetValue("Tollgate:Auth:SessionDays", 30.0);
        if (sessionDays <= 0)
        {
            throw new InvalidOperationException($"Tollgate:Auth:SessionDays must be positive, not {sessionDays}.");
        }

        var plan = (configuration["Tollgate:DefaultPlan"] ?? "enterprise").Trim().ToLowerInvariant();
        if (!Plans.Contains(plan))
        {
            throw new InvalidOperationException($"Tollgate:DefaultPlan must be one of {string.Join(", ", Plans)}, not '{plan}'.");
        }

        var billingMode = (configuration["Tollgate:Billing:DefaultMode"] ?? "byok").Trim().ToLowerInvariant();
        if (!BillingModes.Contains(billingMode))
        {
            throw new InvalidOperationException($"Tollgate:Billing:DefaultMode must be one of {string.Join(", ", BillingModes)}, not '{billingMode}'.");
        }

        var iterations = configuration.GetValue("Tollgate:Auth:PasswordIterations", Passwords.Iterations);
        if (iterations < Passwords.MinIterations)
        {
            throw new InvalidOperationException($"Tollgate:Auth:PasswordIterations must be at least {Passwords.MinIterations}, not {iterations}.");
        }

        return new AccountsOptions(allowSignup, TimeSpan.FromDays(sessionDays), plan, billingMode) { PasswordIterations = iterations };
    }
}
