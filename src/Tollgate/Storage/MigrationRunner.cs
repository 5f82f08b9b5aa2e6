using System.Data.Common;
using System.Reflection;
using Dapper;

namespace Tollgate.Storage;

/// <summary>
/// Applies the numbered SQL files of the database's dialect (<c>Storage/Migrations/{dialect}/NNNN_name.sql</c>,
/// embedded in the assembly) in order, each in its own transaction, recording each in
/// <c>schema_version</c>. On PostgreSQL an advisory lock makes concurrent node start-ups apply
/// each migration exactly once.
/// </summary>
public sealed partial class MigrationRunner(Database database, TimeProvider time, ILogger<MigrationRunner> logger)
{
    // The lock is per schema (its second half is the hash of the search path): nodes of one deployment
    // share it, while deployments in other schemas of the same database migrate without waiting for
    // each other. The first half is any constant; it only has to be the same on every node.
    private const string LockKey = "1835625831, hashtext(current_setting('search_path'))"; // 0x6D696772, "migr"

    /// <summary>The migrations of a dialect, ordered by number.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Load(DbDialect dialect)
    {
        var assembly = typeof(MigrationRunner).Assembly;
        var prefix = $"Tollgate.Migrations.{(dialect == DbDialect.Postgres ? "postgres" : "sqlite")}.";
        var list = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            // RecursiveDir puts a path separator into the logical name.
            var normalized = resource.Replace('/', '.').Replace('\\', '.');
            if (!normalized.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = normalized[prefix.Length..];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add((version, name, reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>Brings the schema up to date.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (database.IsPostgres)
        {
            await connection.ExecuteAsync($"SELECT pg_advisory_lock({LockKey})").ConfigureAwait(false);
        }

        try
        {
            await connection.ExecuteAsync(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
                .ConfigureAwait(false);
            var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_version").ConfigureAwait(false)).ToHashSet();
            foreach (var (version, name, sql) in Load(database.Dialect))
            {
                if (applied.Contains(version))
                {
                    continue;
                }

                await ApplyAsync(connection, version, name, sql, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
                LogApplied(logger, name);
            }
        }
        finally
        {
            if (database.IsPostgres)
            {
                await connection.ExecuteAsync($"SELECT pg_advisory_unlock({LockKey})").ConfigureAwait(false);
            }
        }
    }

    private static async Task ApplyAsync(DbConnection connection, int version, string name, string sql, long at, CancellationToken cancellationToken)
    {
        await using var tx = await Database.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(sql, transaction: tx).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (@version, @name, @at)",
            new { version, name, at },
            tx).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Name}")]
    private static partial void LogApplied(ILogger logger, string name);
}
