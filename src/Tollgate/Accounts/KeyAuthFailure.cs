namespace Tollgate.Accounts;

/// <summary>Why a presented gateway credential was refused.</summary>
public enum KeyAuthFailure
{
    /// <summary>Accepted.</summary>
    None,

    /// <summary>No credential in <c>Authorization: Bearer</c> or <c>x-api-key</c>.</summary>
    Missing,

    /// <summary>No key has this secret.</summary>
    Unknown,

    /// <summary>The key is disabled, or its project was deleted or its member removed.</summary>
    Disabled,

    /// <summary>The key has expired.</summary>
    Expired,

    /// <summary>The key was deleted.</summary>
    Deleted,

    /// <summary>A credential of another kind (session token, master key) was presented.</summary>
    WrongKind,

    /// <summary>The key is valid but its owner no longer has access to the key's project (403 <c>project_access_revoked</c>).</summary>
    ProjectAccessRevoked,
}
