namespace Tollgate.Accounts;

// CONTRACT STUB — replaced by the accounts implementation.

/// <summary>Who is calling the gateway: the key and everything it belongs to.</summary>
public sealed record KeyIdentity(string KeyId, string KeyName, string OrgId, string ProjectId, string MemberId);

/// <summary>Why a presented gateway credential was refused.</summary>
public enum KeyAuthFailure
{
    /// <summary>Accepted.</summary>
    None,
    /// <summary>No credential in <c>Authorization: Bearer</c> or <c>x-api-key</c>.</summary>
    Missing,
    /// <summary>No key has this secret.</summary>
    Unknown,
    /// <summary>The key is disabled.</summary>
    Disabled,
    /// <summary>The key has expired.</summary>
    Expired,
    /// <summary>The key was deleted.</summary>
    Deleted,
    /// <summary>A credential of another kind (session token, master key) was presented.</summary>
    WrongKind,
}

/// <summary>Result of authenticating a gateway request.</summary>
public readonly record struct KeyAuthResult(KeyIdentity? Identity, KeyAuthFailure Failure, string Message);

public sealed class ApiKeyAuthenticator
{
    public ValueTask<KeyAuthResult> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken) => throw new NotImplementedException();
}

public static class AccountsServices
{
    public static IServiceCollection AddTollgateAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ApiKeyAuthenticator>();
        return services;
    }
}

public static class AccountsApi
{
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app) => app;
}
