using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Tollgate.Tests.Operations;

/// <summary>
/// The real server as its own process (<c>dotnet Tollgate.dll</c>) on 127.0.0.1, with its console output
/// kept line by line: for what only a process shows (signals, exit codes, the start banner, commands).
/// Disposing kills it if it still runs; a test only ever stops the process it started.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _lines = new();

    private ServerProcess(Process process, Uri address)
    {
        Process = process;
        Address = address;
    }

    public Process Process { get; }

    public Uri Address { get; }

    /// <summary>Every line the process wrote so far (stdout and stderr).</summary>
    public IReadOnlyList<string> Lines => _lines.ToArray();

    /// <summary>The output as one text.</summary>
    public string Output => string.Join('\n', _lines);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The command that runs the server's build output, for a process of its own.</summary>
    public static ProcessStartInfo Command(IEnumerable<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Tollgate.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // A developer's environment must not leak into the server under test.
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        return info;
    }

    /// <summary>Starts the server with <paramref name="args"/> and waits until <c>/health</c> answers 200.</summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> args, string? workingDirectory = null, bool waitHealthy = true)
    {
        var port = FreePort();
        var info = Command(new[] { "--urls", $"http://127.0.0.1:{port}" }.Concat(args), workingDirectory);
        var process = Process.Start(info)!;
        var address = new Uri($"http://127.0.0.1:{port}/");
        var server = new ServerProcess(process, address);
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!waitHealthy)
        {
            return server;
        }

        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            try
            {
                if ((await probe.GetAsync("health")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"The server process did not become healthy. Output:\n{server.Output}");
    }

    /// <summary>Waits until a line matching <paramref name="match"/> was written.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No such line in the server's output:\n{Output}");
    }

    /// <summary>Sends SIGTERM to this process (and only this one), as a service manager does to stop it.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>An HTTP client for this server, with a bearer token when given.</summary>
    public HttpClient Client(string? bearer = null, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    /// <summary>Signs up a user, makes an org, a project and a key: (session token, org id, key).</summary>
    public async Task<(string Token, string OrgId, string Key)> CreateOrgWithKeyAsync()
    {
        using var admin = Client();
        var email = $"proc-{Guid.NewGuid():N}@example.test";
        await PostAsync(admin, "auth/signup", new { email, password = "process-test-password", name = "Process" });
        var token = (await PostAsync(admin, "auth/login", new { email, password = "process-test-password" })).GetProperty("token").GetString()!;
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var orgId = (await PostAsync(admin, "orgs", new { name = "Process" })).GetProperty("id").GetString()!;
        var projectId = (await PostAsync(admin, $"orgs/{orgId}/projects", new { name = "p" })).GetProperty("id").GetString()!;
        var key = (await PostAsync(admin, $"orgs/{orgId}/keys", new { projectId, name = "k" })).GetProperty("key").GetString()!;
        return (token, orgId, key);
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        Process.Dispose();
    }
}
