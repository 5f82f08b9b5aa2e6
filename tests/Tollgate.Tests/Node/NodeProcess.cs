using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Tollgate.Tests.Node;

/// <summary>What a finished child process left behind.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The last line of stdout that parses as a JSON object.</summary>
    public JsonElement Json()
    {
        foreach (var line in Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
        {
            if (line.StartsWith('{'))
            {
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    return doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Not the result line; keep looking.
                }
            }
        }

        throw new InvalidOperationException($"no JSON object on stdout (exit {ExitCode}).\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
    }

    /// <inheritdoc />
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the programs installed under <c>tests/node</c> (node scripts, the coding agents' CLIs) with
/// a deadline; a process still running at the deadline is killed by its id, with its children.
/// <c>scripts/test.sh</c> installs the packages (<c>npm ci</c>).
/// </summary>
public static class NodeProcess
{
    private static readonly string[] InheritedPrefixes = ["ANTHROPIC_", "CLAUDE", "OPENAI_", "CODEX_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"];

    /// <summary>The <c>tests/node</c> folder of this checkout.</summary>
    public static string Folder { get; } = FindFolder();

    /// <summary>A file under <c>tests/node/node_modules/.bin</c>.</summary>
    public static string Bin(string name) => Path.Combine(Folder, "node_modules", ".bin", name);

    /// <summary>Runs <c>node script</c> in <c>tests/node</c>.</summary>
    public static Task<ProcessResult> NodeAsync(string script, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, TimeSpan timeout) =>
        RunAsync("node", [Path.Combine(Folder, script), .. args], env, Folder, timeout);

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; the environment is the test's plus <paramref name="env"/>.</summary>
    public static async Task<ProcessResult> RunAsync(
        string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, string workingDirectory, TimeSpan timeout, string? stdin = null)
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules")))
        {
            throw new InvalidOperationException($"{Folder}/node_modules is missing: run scripts/test.sh (or npm ci in tests/node) first");
        }

        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Nothing of the machine's own provider settings leaks into a child: it sees only the gateway.
        foreach (var inherited in info.Environment.Keys.Where(k => InheritedPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            info.Environment.Remove(inherited);
        }

        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            // Only this process (by its id) and what it started.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            throw new TimeoutException($"{file} {string.Join(' ', args)} still running after {timeout.TotalSeconds}s; killed.\nstdout:\n{stdout}\nstderr:\n{stderr}");
        }

        // The asynchronous readers have seen every line once WaitForExit without a token returns.
        process.WaitForExit();
        lock (stdout)
        {
            lock (stderr)
            {
                return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString());
            }
        }
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "node");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/node/package.json not found above " + AppContext.BaseDirectory);
    }
}
