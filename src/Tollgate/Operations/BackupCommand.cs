using Microsoft.Data.Sqlite;
using Tollgate.Storage;

namespace Tollgate.Operations;

/// <summary>
/// <c>backup &lt;file&gt;</c>: a consistent copy of the configured SQLite database, taken with SQLite's online
/// backup while a server may be running on it (readers and the writer go on; the copy is the database as
/// of one moment). The copy is written beside its destination and renamed into place only when complete
/// and checked, so a failed backup never leaves a half file under the requested name. Restore: stop the
/// server, copy the file back over the database (removing its <c>-wal</c> and <c>-shm</c> files), start.
/// PostgreSQL is backed up with its own tools (<c>pg_dump</c>).
/// </summary>
public static class BackupCommand
{
    /// <summary>The command's name on the command line.</summary>
    public const string Name = "backup";

    /// <summary>
    /// Splits <c>backup &lt;file&gt;</c> off the arguments: the destination (null when the command is not
    /// given) and the rest, which configure the server as usual.
    /// </summary>
    public static (bool IsBackup, string? Destination, string[] Others) Parse(string[] args)
    {
        var at = Array.IndexOf(args, Name);
        if (at < 0)
        {
            return (false, null, args);
        }

        var destination = at + 1 < args.Length && !args[at + 1].StartsWith('-') ? args[at + 1] : null;
        var rest = args.Where((_, i) => i != at && (destination is null || i != at + 1)).ToArray();
        return (true, destination, rest);
    }

    /// <summary>Runs the backup and returns the process exit code (0 done, 1 failed, 2 usage).</summary>
    public static async Task<int> RunAsync(WebApplication app, string? destination)
    {
        if (string.IsNullOrWhiteSpace(destination))
        {
            await Console.Error.WriteLineAsync("Usage: Tollgate backup <file>   (a copy of the configured SQLite database)");
            return 2;
        }

        var database = app.Services.GetRequiredService<Database>();
        if (database.IsPostgres)
        {
            await Console.Error.WriteLineAsync("The configured database is PostgreSQL: back it up with pg_dump.");
            return 1;
        }

        var target = Path.GetFullPath(destination);
        string from;
        var partial = target + ".partial";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Delete(partial);
            await using (var source = (SqliteConnection)await database.OpenAsync())
            await using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = partial, Pooling = false }.ToString()))
            {
                await copy.OpenAsync();
                from = source.DataSource;
                source.BackupDatabase(copy);
                await using var check = copy.CreateCommand();
                // A copy that is not a sound database is no backup; and a single file (no WAL) is what restores.
                check.CommandText = "PRAGMA journal_mode=DELETE; PRAGMA quick_check;";
                await using var reader = await check.ExecuteReaderAsync();
                await reader.NextResultAsync();
                var verdict = await reader.ReadAsync() ? reader.GetString(0) : "no answer";
                if (!string.Equals(verdict, "ok", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"the copy failed its check: {verdict}");
                }
            }

            File.Move(partial, target, overwrite: true);
            await Console.Out.WriteLineAsync(FormattableString.Invariant(
                $"Backed up {from} to {target} ({new FileInfo(target).Length} bytes)."));
            return 0;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            File.Delete(partial);
            await Console.Error.WriteLineAsync($"Backup failed: {ex.Message}");
            return 1;
        }
    }
}
