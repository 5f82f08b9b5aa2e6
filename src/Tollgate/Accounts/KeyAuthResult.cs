namespace Tollgate.Accounts;

/// <summary>Result of authenticating a gateway request.</summary>
/// <param name="Identity">The caller when <paramref name="Failure"/> is <see cref="KeyAuthFailure.None"/>; otherwise null.</param>
/// <param name="Failure">Why the credential was refused, or <see cref="KeyAuthFailure.None"/>.</param>
/// <param name="Message">The client-facing message for the failure (empty on success).</param>
public readonly record struct KeyAuthResult(KeyIdentity? Identity, KeyAuthFailure Failure, string Message)
{
    /// <summary>True when the key was accepted.</summary>
    public bool Succeeded => Failure == KeyAuthFailure.None;
}
