using BenchmarkDotNet.Running;

namespace Tollgate.Bench;

internal static class BenchProgram
{
    private static async Task<int> Main(string[] args)
    {
        if (args is ["translation-cpu", ..])
        {
            TranslationBenchmarks.ReportCpuTime();
            return 0;
        }

        if (args is ["bedrock-cpu", ..])
        {
            BedrockBenchmarks.ReportCpuTime();
            return 0;
        }

        if (args is ["gemini-cpu", ..])
        {
            GeminiBenchmarks.ReportCpuTime();
            return 0;
        }

        if (args is ["dashboards", ..])
        {
            return await DashboardsBench.RunAsync(args); // holds dashboards open for bench/dashboards.sh
        }

        if (args.Length > 0 && args[0] == "analytics")
        {
            return await AnalyticsBench.RunAsync(args); // a timed run against a filled database, not BenchmarkDotNet
        }

        BenchmarkSwitcher.FromAssembly(typeof(BenchProgram).Assembly).Run(args);
        return 0;
    }
}
