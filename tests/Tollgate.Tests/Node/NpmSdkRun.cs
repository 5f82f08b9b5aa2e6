using System.Text.Json;
using Tollgate.Budgets;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Node;

/// <summary>Runs one case of <c>tests/node/sdk.mjs</c> (the npm <c>openai</c> and <c>@anthropic-ai/sdk</c> packages) against a gateway.</summary>
internal static class NpmSdkRun
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="name"/>; the script must exit 0 and print its JSON result.</summary>
    public static async Task<JsonElement> CaseAsync(GatewayTestHost host, string name) => await RunAsync(host, "sdk.mjs", [name]);

    /// <summary>
    /// Runs <c>tests/node/<paramref name="script"/></c> with <paramref name="args"/> against the host's gateway and key;
    /// it must exit 0 and print a JSON result whose <c>ok</c> is true.
    /// </summary>
    public static async Task<JsonElement> OkAsync(GatewayTestHost host, string script, params string[] args)
    {
        var json = await RunAsync(host, script, args);
        Assert.True(json.GetProperty("ok").GetBoolean(), json.ToString());
        return json;
    }

    // Runs a script against the host's gateway and key; it must exit 0. Returns its JSON result.
    private static async Task<JsonElement> RunAsync(GatewayTestHost host, string script, string[] args)
    {
        var result = await NodeProcess.NodeAsync(script, args, new Dictionary<string, string>
        {
            ["TOLLGATE_BASE_URL"] = host.Server.BaseAddress.ToString().TrimEnd('/'),
            ["TOLLGATE_KEY"] = host.Key,
        }, Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json();
    }

    /// <summary>fake-model: $2.5 input, $10 output per million.</summary>
    public static long FakeModelPico(long input, long output) => Money.ToPico(((input * 2.5m) + (output * 10m)) / 1_000_000m);

    /// <summary>claude-test: $3 input, $15 output per million (no cache tokens here).</summary>
    public static long ClaudeTestPico(long input, long output) => Money.ToPico(((input * 3m) + (output * 15m)) / 1_000_000m);

    public static long Long(this JsonElement e, string name) => e.GetProperty(name).GetInt64();

    public static string? Str(this JsonElement e, string name) => e.GetProperty(name).GetString();
}
