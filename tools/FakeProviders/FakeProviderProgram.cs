namespace Tollgate.FakeProviders;

/// <summary>
/// The standalone fake: <c>dotnet run --project tools/FakeProviders -c Release -- --urls http://127.0.0.1:9001 --Fake:ChunkDelayMs=10</c>.
/// </summary>
public static class FakeProviderProgram
{
    /// <summary>Runs the fake until it is stopped.</summary>
    public static Task Main(string[] args)
    {
        var app = FakeApp.Build(args, configure: builder =>
            builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information));
        return app.RunAsync();
    }
}
