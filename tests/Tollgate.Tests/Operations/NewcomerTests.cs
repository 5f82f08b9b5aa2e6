using System.Text.RegularExpressions;
using Tollgate.Operations;

namespace Tollgate.Tests.Operations;

/// <summary>What a new operator meets: the start banner, the data folder, warnings for misspelt settings, and a README that documents every setting.</summary>
public sealed partial class NewcomerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Start_PrintsBanner_PutsDatabaseUnderDataOfTheWorkingDirectory_AndWarnsOfMisspeltSettings()
    {
        var workdir = Path.Combine(Path.GetTempPath(), "tollgate-newcomer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workdir);
        try
        {
            await using var server = await ServerProcess.StartAsync(["--demo", "--Tollgate:Gatway:MaxRequestBytes=10"], workingDirectory: workdir).WaitAsync(Timeout);
            var root = server.Address.ToString().TrimEnd('/');

            var banner = await server.WaitForLineAsync(l => l.Contains("Tollgate is listening on", StringComparison.Ordinal), Timeout);
            var warning = await server.WaitForLineAsync(l => l.Contains("Unknown setting", StringComparison.Ordinal), Timeout);

            var database = Path.Combine(workdir, "data", "tollgate.db");
            Assert.True(File.Exists(database), $"no database at {database}");
            Assert.Contains($"listening on {root}", banner, StringComparison.Ordinal);
            Assert.Contains($"database: sqlite {database}", banner, StringComparison.Ordinal);
            Assert.Contains("demo: on", banner, StringComparison.Ordinal);
            Assert.Contains($"dashboard: {root}/dashboard", banner, StringComparison.Ordinal);
            Assert.Contains($"API reference: {root}/docs", banner, StringComparison.Ordinal);
            Assert.Contains("Tollgate:Gatway:MaxRequestBytes", string.Join('\n', server.Lines.SkipWhile(l => l != warning).Take(3)), StringComparison.Ordinal);
            Assert.DoesNotContain(server.Lines, l => l.Contains("Unknown setting", StringComparison.Ordinal) && l.Contains("Tollgate:Demo", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(workdir, recursive: true);
        }
    }

    [Fact]
    public void EveryKeyTheCodeReads_IsKnown_AndInTheReadmeTable()
    {
        var repo = RepositoryRoot();
        var source = Directory.EnumerateFiles(Path.Combine(repo, "src", "Tollgate"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText);
        var read = source.SelectMany(text => KeyLiteral().Matches(text).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        var known = StartupReport.KnownKeys;
        var readme = File.ReadAllText(Path.Combine(repo, "README.md"));

        // A literal is a key, or a section the code reads keys under (Tollgate:Billing:Stripe, then ["SecretKey"]).
        Assert.All(read, key => Assert.True(known.Any(k => k == key || k.StartsWith(key + ":", StringComparison.Ordinal)), $"{key} is read but not in StartupReport.KnownKeys"));
        Assert.All(known, key => Assert.True(Documented(readme, key.Replace("{name}", "{provider}", StringComparison.Ordinal)), $"{key} is not in the README's configuration table"));
        Assert.Empty(StartupReport.UnknownKeys(new ConfigurationBuilder().AddInMemoryCollection(known.Select(k => new KeyValuePair<string, string?>(k.Replace("{name}", "openai", StringComparison.Ordinal), "x"))).Build()));
    }

    /// <summary>A table row names the key in full, or names its parent in full and then its last segment (<c>`A:B:C`, `:D`</c> or <c>/ `D`</c>).</summary>
    private static bool Documented(string readme, string key)
    {
        var parent = key[..key.LastIndexOf(':')];
        var leaf = key[(key.LastIndexOf(':') + 1)..];
        return readme.Split('\n').Any(line => line.StartsWith('|') && (line.Contains($"`{key}`", StringComparison.Ordinal)
            || (line.Contains($"`{parent}:", StringComparison.Ordinal) && (line.Contains($"`{leaf}`", StringComparison.Ordinal) || line.Contains($"`:{leaf}`", StringComparison.Ordinal)))));
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tollgate.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Tollgate.slnx) was not found above the test output.");
    }

    [GeneratedRegex("\"(Tollgate:[A-Za-z0-9:]+)\"")]
    private static partial Regex KeyLiteral();
}
