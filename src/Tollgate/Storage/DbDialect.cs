namespace Tollgate.Storage;

/// <summary>The SQL dialects Tollgate stores its data in.</summary>
public enum DbDialect
{
    /// <summary>Embedded SQLite (WAL), the single-machine default.</summary>
    Sqlite,

    /// <summary>PostgreSQL, shared by several nodes.</summary>
    Postgres,
}
