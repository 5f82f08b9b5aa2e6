using Dapper;
using Tollgate.Catalog;
using Tollgate.Storage;

namespace Tollgate.Analytics;

/// <summary>Names and facts the analytics answers show beside the numbers: labels, members, keys.</summary>
internal sealed class AnalyticsDirectory(Database database, ModelCatalog catalog, TimeProvider time)
{
    /// <summary>A member of the org (current, or removed: their history stays in every report).</summary>
    internal sealed record MemberInfo(string Id, string Name, string Email, string Role, bool Removed);

    /// <summary>A key of the org.</summary>
    internal sealed record KeyInfo(string Id, string Name, string ProjectId, string MemberId, string Status);

    /// <summary>True when <paramref name="memberId"/> is, or was, a member of the org.</summary>
    public async Task<bool> MemberExistsAsync(string orgId, string memberId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM members WHERE org_id = @orgId AND id = @memberId", new { orgId, memberId }, cancellationToken: ct)).ConfigureAwait(false) > 0;
    }

    /// <summary>Every member the org has or had, by id.</summary>
    public async Task<Dictionary<string, MemberInfo>> MembersAsync(string orgId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string Id, string Name, string Email, string Role, long? RemovedAt)>(new CommandDefinition(
            "SELECT m.id, u.name, u.email, m.role, m.removed_at FROM members m JOIN users u ON u.id = m.user_id WHERE m.org_id = @orgId",
            new { orgId }, cancellationToken: ct)).ConfigureAwait(false);
        return rows.ToDictionary(r => r.Id, r => new MemberInfo(r.Id, r.Name, r.Email, r.Role, r.RemovedAt is not null), StringComparer.Ordinal);
    }

    /// <summary>Every key of the org (deleted ones too), by id.</summary>
    public async Task<Dictionary<string, KeyInfo>> KeysAsync(string orgId, string? memberId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<KeyInfo>(new CommandDefinition(
            "SELECT id, name, project_id AS ProjectId, member_id AS MemberId, status FROM api_keys WHERE org_id = @orgId"
            + (memberId is null ? "" : " AND member_id = @memberId"),
            new { orgId, memberId }, cancellationToken: ct)).ConfigureAwait(false);
        return rows.ToDictionary(r => r.Id, StringComparer.Ordinal);
    }

    /// <summary>Active keys per member now (not disabled, deleted or expired).</summary>
    public async Task<Dictionary<string, long>> ActiveKeysAsync(string orgId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string MemberId, long Count)>(new CommandDefinition(
            "SELECT member_id, COUNT(*) FROM api_keys WHERE org_id = @orgId AND status = 'active' AND (expires_at IS NULL OR expires_at > @now) GROUP BY member_id",
            new { orgId, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: ct)).ConfigureAwait(false);
        return rows.ToDictionary(r => r.MemberId, r => r.Count, StringComparer.Ordinal);
    }

    /// <summary>Display labels for the values of a dimension (the value itself when nothing better is known).</summary>
    public async Task<Func<string, string>> LabelsAsync(string orgId, string dimension, CancellationToken ct)
    {
        switch (dimension)
        {
            case Rollups.Model:
                return id => catalog.Find(id)?.Name ?? id;
            case Rollups.Provider:
                return id => id;
            case Rollups.Member:
            {
                var members = await MembersAsync(orgId, ct).ConfigureAwait(false);
                return id => members.TryGetValue(id, out var m) ? m.Name : id;
            }

            case Rollups.Key:
            {
                var keys = await KeysAsync(orgId, null, ct).ConfigureAwait(false);
                return id => keys.TryGetValue(id, out var k) ? k.Name : id;
            }

            default:
            {
                await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
                var projects = (await connection.QueryAsync<(string Id, string Name)>(new CommandDefinition(
                    "SELECT id, name FROM projects WHERE org_id = @orgId", new { orgId }, cancellationToken: ct)).ConfigureAwait(false))
                    .ToDictionary(p => p.Id, p => p.Name, StringComparer.Ordinal);
                return id => projects.GetValueOrDefault(id, id);
            }
        }
    }
}
