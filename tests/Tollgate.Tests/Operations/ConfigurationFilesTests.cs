using System.Text.RegularExpressions;
using Tollgate.Accounts;
using Tollgate.Billing;
using Tollgate.Gateway;
using Tollgate.Operations;
using Tollgate.Storage;

namespace Tollgate.Tests.Operations;

/// <summary>
/// The shipped <c>appsettings.json</c> (the defaults, documented) and the production example
/// <c>deploy/appsettings.Production.json</c>: read by .NET's JSON configuration provider, as the server
/// reads them, every <c>Tollgate:*</c> key is one the server knows, every value is one it accepts, and the
/// example carries no secret.
/// </summary>
public sealed partial class ConfigurationFilesTests
{
    private static string Shipped => Path.Combine(NewcomerTests.RepositoryRoot(), "src", "Tollgate", "appsettings.json");

    private static string Example => Path.Combine(NewcomerTests.RepositoryRoot(), "deploy", "appsettings.Production.json");

    private static IConfigurationRoot Load(string file) => new ConfigurationBuilder().AddJsonFile(file, optional: false).Build();

    [Fact]
    public async Task BothFiles_HaveOnlyKnownKeys_AndValuesTheServerAccepts()
    {
        foreach (var file in new[] { Shipped, Example })
        {
            var configuration = Load(file);
            var keys = configuration.GetSection("Tollgate").AsEnumerable().Where(p => p.Value is not null).Select(p => p.Key).ToList();

            Assert.True(keys.Count >= 20, $"{file} sets only {keys.Count} Tollgate keys");
            Assert.Empty(StartupReport.UnknownKeys(configuration));
            // Read as the server reads them at start: a bad value throws here as it would stop the server.
            if (configuration["Tollgate:Database:Provider"] == "postgres")
            {
                // (SQLite's would create its data folder; the shipped default is checked in the next test.)
                await using var database = Database.FromConfiguration(configuration);
                Assert.True(database.IsPostgres);
            }

            _ = AccountsOptions.FromConfiguration(configuration);
            _ = BillingOptions.FromConfiguration(configuration);
            _ = GatewayOptions.FromConfiguration(configuration);
            _ = DrainOptions.FromConfiguration(configuration);
        }
    }

    [Fact]
    public void ShippedSettings_AreTheDefaults_AndEverySectionSaysWhatItIs()
    {
        var shipped = Load(Shipped);
        var none = new ConfigurationBuilder().Build();

        Assert.Equivalent(GatewayOptions.FromConfiguration(none), GatewayOptions.FromConfiguration(shipped), strict: true);
        Assert.Equivalent(AccountsOptions.FromConfiguration(none), AccountsOptions.FromConfiguration(shipped), strict: true);
        Assert.Equivalent(BillingOptions.FromConfiguration(none), BillingOptions.FromConfiguration(shipped), strict: true);
        Assert.Equivalent(DrainOptions.FromConfiguration(none), DrainOptions.FromConfiguration(shipped), strict: true);
        // The database the README names: SQLite in data/tollgate.db under the folder the server runs in.
        Assert.Equal("sqlite", shipped["Tollgate:Database:Provider"]);
        Assert.Equal("data/tollgate.db", new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(shipped["Tollgate:Database:ConnectionString"]).DataSource);

        // Each section of Tollgate (four spaces in) comes after a comment line that says what it is.
        var lines = File.ReadAllLines(Shipped);
        for (var i = 0; i < lines.Length; i++)
        {
            if (SectionLine().IsMatch(lines[i]))
            {
                var previous = lines.Take(i).Last(l => l.Trim().Length > 0).Trim();
                Assert.True(previous.StartsWith("//", StringComparison.Ordinal), $"appsettings.json line {i + 1} ({lines[i].Trim()}) has no comment above it");
            }
        }

        Assert.Contains("README", File.ReadAllText(Shipped), StringComparison.Ordinal);
    }

    [Fact]
    public void ProductionExample_IsNotLoadedByDefault_AndHasNoSecrets()
    {
        // Not in the project folder nor in any build output, where a server in the Production environment would read it.
        Assert.False(File.Exists(Path.Combine(NewcomerTests.RepositoryRoot(), "src", "Tollgate", "appsettings.Production.json")));
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "appsettings.Production.json")));

        var configuration = Load(Example);
        var secretKeys = new[] { "ApiKey", "SecretAccessKey", "SessionToken", "ServiceAccountJson", "SecretKey", "WebhookSecret" };
        var secretsSet = configuration.AsEnumerable()
            .Where(p => !string.IsNullOrEmpty(p.Value))
            .Where(p => secretKeys.Any(s => p.Key.EndsWith(":" + s, StringComparison.OrdinalIgnoreCase)) || p.Key.Equals("Tollgate:Secrets:Key", StringComparison.OrdinalIgnoreCase))
            .Select(p => p.Key)
            .ToList();
        Assert.Empty(secretsSet);

        var values = string.Join('\n', configuration.AsEnumerable().Select(p => p.Value ?? ""));
        Assert.DoesNotMatch(LooksLikeASecret(), values);
        Assert.DoesNotContain("Password=", values, StringComparison.OrdinalIgnoreCase);

        // It shows the production pieces the README promises.
        foreach (var key in new[]
        {
            "Tollgate:Database:Provider", "Tollgate:Billing:Seller:Name", "Tollgate:Billing:Stripe:SuccessUrl", "Tollgate:Telemetry:OtlpEndpoint",
            "Tollgate:Http:KnownProxies", "Tollgate:Http:CorsOrigins:0", "Tollgate:Shutdown:DrainSeconds",
        })
        {
            Assert.False(string.IsNullOrEmpty(configuration[key]), $"the example does not set {key}");
        }

        Assert.Equal("postgres", configuration["Tollgate:Database:Provider"]);
    }

    // OpenAI/Anthropic-style keys, Stripe keys and webhook secrets, AWS access key ids, Google API keys, private keys.
    [GeneratedRegex(@"sk-[A-Za-z0-9_-]{16,}|sk_(live|test)_[A-Za-z0-9]{8,}|rk_(live|test)_|whsec_[A-Za-z0-9]{8,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|BEGIN [A-Z ]*PRIVATE KEY")]
    private static partial Regex LooksLikeASecret();

    [GeneratedRegex("^ {4}\"[A-Za-z]+\": ")]
    private static partial Regex SectionLine();
}
