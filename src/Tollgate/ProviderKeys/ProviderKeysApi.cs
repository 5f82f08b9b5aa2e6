using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Operations;

namespace Tollgate.ProviderKeys;

/// <summary>The <c>/orgs/{orgId}/provider-keys</c> routes over <see cref="ProviderKeyService"/>.</summary>
internal static class ProviderKeysApi
{
    /// <summary>Maps <c>/orgs/{orgId}/provider-keys</c>.</summary>
    public static IEndpointRouteBuilder MapProviderKeysApi(this IEndpointRouteBuilder app)
    {
        var keys = app.MapOrgGroup("/provider-keys");
        keys.MapGet("", async (OrgMember member, ProviderKeyService service, CancellationToken ct) =>
            (await service.ListAsync(member, ct)).ToResult(rows => TypedResults.Ok(new Page<ProviderKeyResponse>(rows.Select(ToResponse).ToList(), null))))
            .Answers<Page<ProviderKeyResponse>>();
        keys.MapPost("", async (ProviderKeyRequest body, OrgMember member, RequestAudit audit, ProviderKeyService service, CancellationToken ct) =>
            (await service.CreateAsync(member, audit, body, ct)).ToResult(row => TypedResults.Created($"/orgs/{member.OrgId}/provider-keys/{row.Id}", ToResponse(row))))
            .Answers<ProviderKeyResponse>(StatusCodes.Status201Created).Refuses(400, 409);
        keys.MapGet("/{id}", async (string id, OrgMember member, ProviderKeyService service, CancellationToken ct) =>
            (await service.GetAsync(member, id, ct)).ToResult(row => TypedResults.Ok(ToResponse(row))))
            .Answers<ProviderKeyResponse>();
        keys.MapPatch("/{id}", async (string id, ProviderKeyRequest body, OrgMember member, RequestAudit audit, ProviderKeyService service, CancellationToken ct) =>
            (await service.UpdateAsync(member, audit, id, body, ct)).ToResult(row => TypedResults.Ok(ToResponse(row))))
            .Answers<ProviderKeyResponse>().Refuses(400);
        keys.MapDelete("/{id}", async (string id, OrgMember member, RequestAudit audit, ProviderKeyService service, CancellationToken ct) =>
            (await service.DeleteAsync(member, audit, id, ct)).ToResult(_ => TypedResults.NoContent()))
            .AnswersNoContent();
        return app;
    }

    /// <summary>Registers the provider-key services.</summary>
    public static IServiceCollection AddTollgateProviderKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => SecretBox.FromConfiguration(configuration));
        services.AddSingleton(sp => sp.GetRequiredService<Tollgate.Providers.ProviderDirectory>().Guard);
        services.AddSingleton<ProviderKeyStore>();
        services.AddSingleton<OrgProviderKeys>();
        services.AddSingleton<ProviderKeyService>();
        return services;
    }

    private static ProviderKeyResponse ToResponse(ProviderKeyRow row) =>
        new(row.Id, row.Provider, row.Name, row.BaseUrl, row.Hint, row.Region, row.ProjectId, row.Location,
            ApiTime.FromUnixMs(row.CreatedAt), ApiTime.FromUnixMs(row.UpdatedAt));
}
