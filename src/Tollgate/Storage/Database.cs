using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Tollgate.Storage;

/// <summary>
/// Opens connections to the configured database. SQLite and PostgreSQL are configuration,
/// not separate code paths: both are reached through ADO.NET and Dapper with SQL written
/// once where the dialects agree (ids are TEXT, instants are BIGINT Unix milliseconds,
/// money is BIGINT pico-dollars), and per dialect where they do not.
/// </summary>
public sealed class Database : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _npgsql;
    private readonly string _sqliteConnectionString = "";

    public Database(DbDialect dialect, string connectionString)
    {
        Dialect = dialect;
        ConnectionStringForDisplay = connectionString;
        if (dialect == DbDialect.Postgres)
        {
            _npgsql = NpgsqlDataSource.Create(connectionString);
        }
        else
        {
            var csb = new SqliteConnectionStringBuilder(connectionString)
            {
                Pooling = true,
                DefaultTimeout = 30,
            };
            var path = csb.DataSource;
            if (!string.IsNullOrEmpty(path) && path != ":memory:" && !path.StartsWith("file:", StringComparison.Ordinal))
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(dir))
                {
                    Directory.CreateDirectory(dir);
                }
            }

            _sqliteConnectionString = csb.ToString();
        }
    }

    /// <summary>The dialect of this database.</summary>
    public DbDialect Dialect { get; }

    /// <summary>The connection string as configured: for picking out the file or host to show; it may hold a password, so never show it whole.</summary>
    internal string ConnectionStringForDisplay { get; }

    /// <summary>True for PostgreSQL.</summary>
    public bool IsPostgres => Dialect == DbDialect.Postgres;

    /// <summary>
    /// SQLite: held while a ledger commit and the counting of its rows happen, and while a budget load
    /// takes its read snapshot, so every row is either in a load's snapshot or counted after the load
    /// began, never both and never neither.
    /// </summary>
    public Lock LedgerCommitLock { get; } = new();

    /// <summary>Creates the database from configuration (<c>Tollgate:Database:*</c>).</summary>
    public static Database FromConfiguration(IConfiguration configuration)
    {
        var provider = configuration["Tollgate:Database:Provider"] ?? "sqlite";
        var cs = configuration["Tollgate:Database:ConnectionString"];
        return provider.ToLowerInvariant() switch
        {
            "sqlite" => new Database(DbDialect.Sqlite, string.IsNullOrWhiteSpace(cs) ? "Data Source=data/tollgate.db" : cs),
            "postgres" or "postgresql" => new Database(DbDialect.Postgres, cs ?? throw new InvalidOperationException(
                "Tollgate:Database:ConnectionString is required when Tollgate:Database:Provider is postgres.")),
            _ => throw new InvalidOperationException(
                $"Tollgate:Database:Provider must be 'sqlite' or 'postgres', not '{provider}'."),
        };
    }

    /// <summary>Opens a connection, with the per-connection settings the dialect needs.</summary>
    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_npgsql is not null)
        {
            return await _npgsql.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        var connection = new SqliteConnection(_sqliteConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var pragma = connection.CreateCommand();
        // WAL lets readers run beside the one writer; NORMAL syncs at checkpoints, which keeps
        // every committed transaction across a process crash (kill -9), the failure we test.
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <summary>
    /// Begins a write transaction. On SQLite this takes the write lock up front
    /// (<c>BEGIN IMMEDIATE</c>) so that read-then-write sequences never deadlock on upgrade.
    /// </summary>
    public static async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken = default)
    {
        if (connection is SqliteConnection sqlite)
        {
            return sqlite.BeginTransaction(deferred: false);
        }

        return await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_npgsql is not null)
        {
            await _npgsql.DisposeAsync().ConfigureAwait(false);
        }
    }
}
