using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Tollgate.Providers;
using Tollgate.Storage;

namespace Tollgate.Operations;

/// <summary>
/// What the server says when it has started: a banner (where it listens, which database file or server,
/// demo on or off, the providers with a credential, where the dashboard and the API reference are), and a
/// warning for every <c>Tollgate:*</c> setting it does not know — a misspelt key would otherwise be
/// silently ignored and its default used.
/// </summary>
internal sealed partial class StartupReport(
    IHostApplicationLifetime lifetime, IServer server, IConfiguration configuration, Database database, ProviderDirectory providers,
    ILogger<StartupReport> logger) : IHostedService
{
    /// <summary>
    /// Every <c>Tollgate:*</c> key the server reads (<c>{name}</c>: any one segment); list keys may also be
    /// given as arrays (<c>:0</c>, <c>:1</c>...). The README's configuration table documents each.
    /// </summary>
    public static readonly string[] KnownKeys =
    [
        "Tollgate:Database:Provider", "Tollgate:Database:ConnectionString", "Tollgate:Catalog:Path", "Tollgate:Demo",
        "Tollgate:Providers:AllowPrivateBaseUrls",
        "Tollgate:Providers:{name}:BaseUrl", "Tollgate:Providers:{name}:ApiKey", "Tollgate:Providers:{name}:AccessKeyId",
        "Tollgate:Providers:{name}:SecretAccessKey", "Tollgate:Providers:{name}:Region", "Tollgate:Providers:{name}:ServiceAccountJson",
        "Tollgate:Providers:{name}:ProjectId", "Tollgate:Providers:{name}:Location", "Tollgate:Providers:{name}:SessionToken",
        "Tollgate:Streaming:KeepAliveSeconds", "Tollgate:Streaming:IdleTimeoutSeconds",
        "Tollgate:Gateway:MaxRequestBytes", "Tollgate:Gateway:MaxUploadBytes", "Tollgate:Gateway:OcrMaxPages", "Tollgate:Gateway:UpstreamTimeoutSeconds",
        "Tollgate:Auth:AllowSignup", "Tollgate:Auth:SessionDays", "Tollgate:Auth:PasswordIterations",
        "Tollgate:DefaultPlan", "Tollgate:Billing:DefaultMode",
        "Tollgate:Billing:Stripe:SecretKey", "Tollgate:Billing:Stripe:WebhookSecret", "Tollgate:Billing:Stripe:ApiBase",
        "Tollgate:Billing:Stripe:SuccessUrl", "Tollgate:Billing:Stripe:CancelUrl", "Tollgate:Billing:Stripe:WebhookToleranceSeconds",
        "Tollgate:Billing:Stripe:ProductName",
        "Tollgate:Billing:Seller:Name", "Tollgate:Billing:Seller:Address", "Tollgate:Billing:Seller:TaxId",
        "Tollgate:Billing:Seller:Email", "Tollgate:Billing:Seller:Country",
        "Tollgate:Alerts:CheckIntervalSeconds", "Tollgate:Alerts:RetryBaseSeconds", "Tollgate:Alerts:MaxAttempts", "Tollgate:Alerts:AllowLoopbackHttp",
        "Tollgate:Secrets:Key", "Tollgate:Secrets:KeyFile",
        "Tollgate:Http:KnownProxies", "Tollgate:Http:CorsOrigins",
        "Tollgate:Dashboard:KeysPath", "Tollgate:Analytics:DayCache",
        "Tollgate:Telemetry:OtlpEndpoint", "Tollgate:Telemetry:ServiceName", "Tollgate:Telemetry:HttpMetrics",
        "Tollgate:Videos:PollSeconds", "Tollgate:Videos:PollBatch", "Tollgate:Logging:Format",
        "Tollgate:Shutdown:DrainSeconds",
    ];

    private static readonly Regex[] Known = [.. KnownKeys.Select(k => new Regex(
        "^" + Regex.Escape(k).Replace(Regex.Escape("{name}"), "[^:]+", StringComparison.Ordinal) + "(:[0-9]+)?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant))];

    private CancellationTokenRegistration _onStarted;

    /// <summary>The <c>Tollgate:*</c> settings of <paramref name="configuration"/> that no known key matches.</summary>
    public static IEnumerable<string> UnknownKeys(IConfiguration configuration) =>
        configuration.GetSection("Tollgate").AsEnumerable()
            .Where(pair => pair.Value is not null && !Known.Any(k => k.IsMatch(pair.Key)))
            .Select(pair => pair.Key)
            .Order(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var key in UnknownKeys(configuration))
        {
            LogUnknownKey(logger, key);
        }

        _onStarted = lifetime.ApplicationStarted.Register(Banner);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _onStarted.Dispose();
        return Task.CompletedTask;
    }

    private void Banner()
    {
        var urls = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        var root = urls.FirstOrDefault()?.TrimEnd('/') ?? "";
        var demo = string.Equals(configuration["Tollgate:Demo"], "true", StringComparison.OrdinalIgnoreCase);
        var urlList = string.Join(", ", urls);
        var where = Describe(database);
        var configured = providers.Endpoints.Where(e => e.IsConfigured).Select(e => e.Name).Order(StringComparer.Ordinal).ToList();
        LogBanner(logger, urlList, where, demo ? "on (model demo/echo)" : "off",
            configured.Count == 0 ? "none (give one a key: Tollgate__Providers__openai__ApiKey=...)" : string.Join(", ", configured),
            root + "/dashboard", root + ApiReference.DocsPath);
    }

    /// <summary>The database without its secrets: the SQLite file's full path, or PostgreSQL's host and database.</summary>
    private static string Describe(Database database)
    {
        if (database.IsPostgres)
        {
            var csb = new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionStringForDisplay);
            return $"postgres {csb.Host}:{csb.Port}/{csb.Database}";
        }

        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionStringForDisplay).DataSource;
        return "sqlite " + (file is ":memory:" or "" ? file : Path.GetFullPath(file));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unknown setting {Key}: Tollgate does not read it (misspelt?); see the configuration table in the README")]
    private static partial void LogUnknownKey(ILogger logger, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tollgate is listening on {Urls} | database: {Database} | demo: {Demo} | providers: {Providers} | dashboard: {Dashboard} | API reference: {Docs}")]
    private static partial void LogBanner(ILogger logger, string urls, string database, string demo, string providers, string dashboard, string docs);
}
