using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;

namespace Tollgate.Tests.Operations;

/// <summary>
/// The README's walkthrough, run as written: its bash blocks (between <c>&lt;!-- walkthrough</c> and
/// <c>&lt;!-- /walkthrough --&gt;</c>) run in order in one bash, with only the server's address replaced,
/// against a real server started as the README starts it (<c>--demo</c>, SQLite under the folder it runs in).
/// The shell stops at the first command that fails, uses a variable no block set, or extracts nothing.
/// </summary>
public sealed partial class ReadmeWalkthroughTests
{
    private const string ReadmeAddress = "http://127.0.0.1:8080";

    /// <summary>The walkthrough's bash blocks, in order.</summary>
    internal static IReadOnlyList<string> Blocks(string readme)
    {
        var start = readme.IndexOf("<!-- walkthrough", StringComparison.Ordinal);
        var end = readme.IndexOf("<!-- /walkthrough -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "the README has no walkthrough markers");
        return [.. BashBlock().Matches(readme[start..end]).Select(m => m.Groups["code"].Value)];
    }

    [Fact]
    public async Task ReadmeWalkthrough_RunsAsWritten_AndEndsWithTheBudgetDenial()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(NewcomerTests.RepositoryRoot(), "README.md"), TestContext.Current.CancellationToken);
        var blocks = Blocks(readme);
        Assert.True(blocks.Count >= 4, $"only {blocks.Count} bash blocks in the walkthrough");
        Assert.Contains(ReadmeAddress, blocks[0], StringComparison.Ordinal);

        var workdir = Path.Combine(Path.GetTempPath(), "tollgate-walkthrough-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workdir);
        try
        {
            await using var server = await ServerProcess.StartAsync(["--demo"], workingDirectory: workdir).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
            var address = server.Address.ToString().TrimEnd('/');
            var script = new StringBuilder("set -euo pipefail\n");
            for (var i = 0; i < blocks.Count; i++)
            {
                script.Append(blocks[i].Replace(ReadmeAddress, address, StringComparison.Ordinal)).Append('\n');
                script.Append("echo '::block ").Append(i + 1).Append(" done'\n");
            }

            var (exit, output) = await RunBashAsync(script.ToString(), workdir, TimeSpan.FromSeconds(120));

            var done = DoneMarker().Matches(output).Select(m => int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.True(exit == 0, $"the walkthrough stopped after block {(done.Count == 0 ? 0 : done[^1])} of {blocks.Count} (exit {exit}):\n{output}");
            Assert.Equal(Enumerable.Range(1, blocks.Count), done);

            // The last block: the key's budget is spent, the request is a 403 naming the cap, never billed.
            var last = output[output.LastIndexOf($"::block {blocks.Count - 1} done", StringComparison.Ordinal)..];
            Assert.Contains("\"code\":\"key_budget_exceeded\"", last, StringComparison.Ordinal);
            Assert.Contains("HTTP 403", last, StringComparison.Ordinal);
            // The usage the API showed counts both chat requests.
            Assert.Matches("\"requests\":2\\b", output);

            // The ledger (in data/ under the folder the server runs in, as the README says) has the two
            // requests, priced, and nothing for the denied one.
            var database = Path.Combine(workdir, "data", "tollgate.db");
            await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
            var rows = (await connection.QueryAsync<(string Model, string Status, long CostPico, long Streamed)>(
                "SELECT model, status, cost_pico, streamed FROM ledger ORDER BY started_at")).ToList();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.Equal(("demo/echo", "ok"), (r.Model, r.Status)));
            Assert.All(rows, r => Assert.True(r.CostPico > 0));
            Assert.Equal([0L, 1L], rows.Select(r => r.Streamed));
        }
        finally
        {
            Directory.Delete(workdir, recursive: true);
        }
    }

    private static async Task<(int Exit, string Output)> RunBashAsync(string script, string workdir, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workdir,
        };
        info.Environment["HOME"] = workdir;
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the walkthrough did not finish within {timeout}:\n{output}");
        }

        process.WaitForExit(); // drains the redirected output
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    [GeneratedRegex("```bash\\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex("::block (?<n>[0-9]+) done")]
    private static partial Regex DoneMarker();
}
