using Tollgate.Operations;

namespace Tollgate.Accounts;

/// <summary>The <c>/orgs/{orgId}/keys</c> routes over <see cref="KeyService"/>.</summary>
internal static class KeysApi
{
    /// <summary>404 detail for a key the caller cannot see.</summary>
    public const string NotFoundMessage = KeyService.NotFoundMessage;

    /// <summary>Maps <c>/orgs/{orgId}/keys</c>.</summary>
    public static void Map(RouteGroupBuilder keys)
    {
        keys.MapPost("", async (CreateKeyRequest body, OrgMember member, Tollgate.Audit.RequestAudit audit, KeyService service, TimeProvider time, CancellationToken ct) =>
            (await service.CreateAsync(member, audit, body, ct)).ToResult(k => TypedResults.Created($"/orgs/{member.OrgId}/keys/{k.Key.Id}", ToResponse(k.Key, time, k.Secret))))
            .Answers<KeyResponse>(StatusCodes.Status201Created).Refuses(400, 409);
        keys.MapGet("", async (OrgMember member, string? projectId, string? memberId, string? status, string? limit, string? cursor, KeyService service, TimeProvider time, CancellationToken ct) =>
            (await service.ListAsync(member, projectId, memberId, status, limit, cursor, ct)).ToResult(page => TypedResults.Ok(page.Paging.ToPage(page.Rows, r => r.Id, r => ToResponse(r, time)))))
            .Answers<Page<KeyResponse>>().Refuses(400);
        keys.MapGet("/{keyId}", async (string keyId, OrgMember member, KeyService service, TimeProvider time, CancellationToken ct) =>
            (await service.GetAsync(member, keyId, ct)).ToResult(k => TypedResults.Ok(ToResponse(k, time))))
            .Answers<KeyResponse>();
        keys.MapPatch("/{keyId}", async (string keyId, UpdateKeyRequest body, OrgMember member, Tollgate.Audit.RequestAudit audit, KeyService service, TimeProvider time, CancellationToken ct) =>
            (await service.UpdateAsync(member, audit, keyId, body, ct)).ToResult(k => TypedResults.Ok(ToResponse(k, time))))
            .Answers<KeyResponse>().Refuses(400, 409);
        keys.MapDelete("/{keyId}", async (string keyId, OrgMember member, Tollgate.Audit.RequestAudit audit, KeyService service, CancellationToken ct) =>
            (await service.DeleteAsync(member, audit, keyId, ct)).ToResult(_ => TypedResults.NoContent()))
            .AnswersNoContent();
        keys.MapPost("/{keyId}/rotate", async (string keyId, OrgMember member, Tollgate.Audit.RequestAudit audit, KeyService service, TimeProvider time, CancellationToken ct) =>
            (await service.RotateAsync(member, audit, keyId, ct)).ToResult(k => TypedResults.Ok(ToResponse(k.Key, time, k.Secret))))
            .Answers<KeyResponse>().Refuses(409);
    }

    private static KeyResponse ToResponse(KeyStore.KeyRow key, TimeProvider time, string? secret = null) =>
        new(key.Id, secret, key.Prefix, key.Name, key.OrgId, key.ProjectId, key.MemberId, key.StatusAt(time.GetUtcNow().ToUnixTimeMilliseconds()),
            ApiTime.FromUnixMs(key.ExpiresAt), ApiTime.FromUnixMs(key.CreatedAt), ApiTime.FromUnixMs(key.UpdatedAt),
            ApiTime.FromUnixMs(key.LastUsedAt));
}
