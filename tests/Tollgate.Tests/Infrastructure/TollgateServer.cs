using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Tests.Infrastructure;

/// <summary>
/// The real Tollgate server on Kestrel at 127.0.0.1 on a free port, with a fresh database of the
/// chosen dialect. Each test starts its own and disposes it.
/// </summary>
public sealed class TollgateServer : IAsyncDisposable
{
    private TollgateServer(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The running application (its services are reachable through <c>App.Services</c>).</summary>
    public WebApplication App { get; }

    /// <summary><c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The database of this server, to start another server on the same data.</summary>
    public string ConnectionString { get; private init; } = "";

    /// <summary>A client for the server with no credentials set.</summary>
    public HttpClient Client { get; }

    /// <summary>Starts a server. <paramref name="settings"/> are configuration keys (<c>Tollgate:...</c>).</summary>
    public static async Task<TollgateServer> StartAsync(
        DbDialect dialect = DbDialect.Sqlite,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? configure = null,
        string? connectionString = null,
        params string[] args)
    {
        connectionString ??= await TestDatabases.NewConnectionStringAsync(dialect);
        var app = TollgateApp.Build(args, builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration["Tollgate:Database:Provider"] = dialect == DbDialect.Postgres ? "postgres" : "sqlite";
            builder.Configuration["Tollgate:Database:ConnectionString"] = connectionString;
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            if (settings is not null)
            {
                foreach (var (key, value) in settings)
                {
                    builder.Configuration[key] = value;
                }
            }

            configure?.Invoke(builder);
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.StartAsync(cts.Token);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TollgateServer(app, new Uri(address.TrimEnd('/') + "/")) { ConnectionString = connectionString };
    }

    /// <summary>A client that sends <c>Authorization: Bearer {token}</c>.</summary>
    public HttpClient CreateClient(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await App.StopAsync(cts.Token);
        await App.DisposeAsync();
    }
}
