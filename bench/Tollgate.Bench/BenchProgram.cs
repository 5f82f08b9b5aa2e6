using BenchmarkDotNet.Running;

namespace Tollgate.Bench;

internal static class BenchProgram
{
    private static void Main(string[] args)
    {
        if (args is ["translation-cpu", ..])
        {
            TranslationBenchmarks.ReportCpuTime();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(BenchProgram).Assembly).Run(args);
    }
}
