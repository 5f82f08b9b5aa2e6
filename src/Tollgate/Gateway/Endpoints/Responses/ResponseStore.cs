using Dapper;
using Tollgate.Storage;

namespace Tollgate.Gateway.Endpoints.Responses;

/// <summary>A response the gateway stored.</summary>
internal sealed record StoredResponse(string Id, string OrgId, string KeyId, string Model, string Provider, long CreatedAt, string RequestJson, string ResponseJson);

/// <summary>Responses kept for <c>GET /v1/responses/{id}</c> and <c>previous_response_id</c>, per org.</summary>
internal sealed class ResponseStore(Database database)
{
    /// <summary>Keeps a response; a second save of the same id changes nothing.</summary>
    public async Task SaveAsync(StoredResponse response, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO stored_responses (id, org_id, key_id, model, provider, created_at, request_json, response_json)
            VALUES (@Id, @OrgId, @KeyId, @Model, @Provider, @CreatedAt, @RequestJson, @ResponseJson)
            ON CONFLICT (id) DO NOTHING
            """, response, cancellationToken: ct)).ConfigureAwait(false);
    }

    /// <summary>The org's response with this id, or null (another org's id is not found either).</summary>
    public async Task<StoredResponse?> FindAsync(string orgId, string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<StoredResponse>(new CommandDefinition(
            """
            SELECT id AS Id, org_id AS OrgId, key_id AS KeyId, model AS Model, provider AS Provider, created_at AS CreatedAt,
                   request_json AS RequestJson, response_json AS ResponseJson
            FROM stored_responses WHERE id = @id AND org_id = @orgId
            """, new { id, orgId }, cancellationToken: ct)).ConfigureAwait(false);
    }
}
