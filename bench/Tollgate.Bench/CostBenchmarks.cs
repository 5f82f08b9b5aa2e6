using System.Text;
using BenchmarkDotNet.Attributes;
using Tollgate.Budgets;
using Tollgate.Catalog;

namespace Tollgate.Bench;

/// <summary>
/// Cost of one request from its usage, exact decimal, as the gateway settles it. The baseline is
/// the bare two-term decimal formula, so the ratio shows what tiers, cache and reasoning rules add.
/// </summary>
[MemoryDiagnoser]
public class CostBenchmarks
{
    private const string CatalogJson = """
        {"models":[{"id":"m","name":"m","kind":"chat","maxOutputTokens":1000,
          "providers":[{"provider":"openai","providerModelId":"m","prices":[{"inputPerMillion":"1.25","outputPerMillion":"10",
            "cachedInputPerMillion":"0.125","tiers":[{"aboveInputTokens":200000,"inputPerMillion":"2.5","outputPerMillion":"15"}]}]}]}]}
        """;

    private ModelPrice _price = null!;
    private readonly TokenUsage _usage = new(1834, 512, 0, 733, 128);

    [GlobalSetup]
    public void Setup()
    {
        using var json = new MemoryStream(Encoding.UTF8.GetBytes(CatalogJson));
        _price = ModelCatalog.LoadFrom(json).Models[0].Providers[0].PriceAt(DateTimeOffset.UtcNow)!;
    }

    [Benchmark(Baseline = true)]
    public decimal TwoTermDecimal() => (_usage.InputTokens * 1.25m + _usage.OutputTokens * 10m) / 1_000_000m;

    [Benchmark]
    public decimal CatalogCost() => CostCalculator.Compute(_price, _usage);

    [Benchmark]
    public long CatalogCostInPico() => Money.ToPico(CostCalculator.Compute(_price, _usage));
}
