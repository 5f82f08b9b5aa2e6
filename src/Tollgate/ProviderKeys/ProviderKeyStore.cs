using Dapper;
using Tollgate.Storage;

namespace Tollgate.ProviderKeys;

/// <summary>One org provider key as stored: the credential only sealed (<see cref="SecretBox"/>).</summary>
internal sealed record ProviderKeyRow(
    string Id, string OrgId, string Provider, string Name, string? BaseUrl, string Hint,
    string? Region, string? ProjectId, string? Location, string Sealed, long CreatedAt, long UpdatedAt);

/// <summary>The <c>org_provider_keys</c> table.</summary>
internal sealed class ProviderKeyStore(Database database)
{
    private const string Columns = """
        id, org_id AS OrgId, provider, name, base_url AS BaseUrl, hint, region, project_id AS ProjectId,
        location, sealed, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <summary>The org's keys, oldest first.</summary>
    public async Task<List<ProviderKeyRow>> ListAsync(string orgId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<ProviderKeyRow>(new CommandDefinition(
            $"SELECT {Columns} FROM org_provider_keys WHERE org_id = @orgId ORDER BY created_at, id", new { orgId }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>One key of the org, or null.</summary>
    public async Task<ProviderKeyRow?> FindAsync(string orgId, string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ProviderKeyRow>(new CommandDefinition(
            $"SELECT {Columns} FROM org_provider_keys WHERE org_id = @orgId AND id = @id", new { orgId, id }, cancellationToken: ct));
    }

    /// <summary>Inserts a key.</summary>
    public async Task InsertAsync(ProviderKeyRow row, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO org_provider_keys (id, org_id, provider, name, base_url, hint, region, project_id, location, sealed, created_at, updated_at)
            VALUES (@Id, @OrgId, @Provider, @Name, @BaseUrl, @Hint, @Region, @ProjectId, @Location, @Sealed, @CreatedAt, @UpdatedAt)
            """, row, cancellationToken: ct));
    }

    /// <summary>Replaces a key's fields (provider and creation time stay); false when it is gone.</summary>
    public async Task<bool> UpdateAsync(ProviderKeyRow row, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE org_provider_keys SET name = @Name, base_url = @BaseUrl, hint = @Hint, region = @Region,
                project_id = @ProjectId, location = @Location, sealed = @Sealed, updated_at = @UpdatedAt
            WHERE org_id = @OrgId AND id = @Id
            """, row, cancellationToken: ct)) == 1;
    }

    /// <summary>Deletes a key; false when it was not there.</summary>
    public async Task<bool> DeleteAsync(string orgId, string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM org_provider_keys WHERE org_id = @orgId AND id = @id", new { orgId, id }, cancellationToken: ct)) == 1;
    }
}
