namespace Tollgate.Accounts;

/// <summary>Who is calling the gateway: the key and everything it belongs to.</summary>
/// <param name="KeyId">The API key's id (<c>key_...</c>).</param>
/// <param name="KeyName">The key's display name.</param>
/// <param name="OrgId">The org the key belongs to.</param>
/// <param name="ProjectId">The project the key belongs to.</param>
/// <param name="MemberId">The member who owns the key.</param>
public sealed record KeyIdentity(string KeyId, string KeyName, string OrgId, string ProjectId, string MemberId);
