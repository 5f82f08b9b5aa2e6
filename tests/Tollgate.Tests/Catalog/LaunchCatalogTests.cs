using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

/// <summary>
/// Each launch model of the built-in catalog, mapping by mapping: the provider, the id that
/// provider knows it by, and the price in force at chosen instants.
/// </summary>
public sealed class LaunchCatalogTests
{
    private static readonly DateTimeOffset Launch = DateTimeOffset.Parse("2026-05-01T00:00:00Z");
    private static readonly DateTimeOffset September = DateTimeOffset.Parse("2026-09-01T00:00:00Z");

    private static CatalogModel Model(string id) => ModelCatalog.LoadBuiltIn().Find(id) ?? throw new InvalidOperationException($"{id} is not in the catalog");

    private static (string Provider, string Id, decimal? Input, decimal? Output) Row(ProviderMapping mapping, DateTimeOffset at) =>
        (mapping.Provider, mapping.ProviderModelId, mapping.PriceAt(at)?.InputPerMillion, mapping.PriceAt(at)?.OutputPerMillion);

    [Fact]
    public void ClaudeSonnet5_OnAnthropicVertexAndBedrock_2And10_ThenFromSeptember3And15()
    {
        var model = Model("claude-sonnet-5");

        Assert.Equal(
            [("anthropic", "claude-sonnet-5", 2m, 10m), ("vertex", "claude-sonnet-5", 2m, 10m), ("bedrock", "global.anthropic.claude-sonnet-5-v1:0", 2m, 10m)],
            model.Providers.Select(m => Row(m, Launch)));
        Assert.Equal(
            [("anthropic", "claude-sonnet-5", 3m, 15m), ("vertex", "claude-sonnet-5", 3m, 15m), ("bedrock", "global.anthropic.claude-sonnet-5-v1:0", 3m, 15m)],
            model.Providers.Select(m => Row(m, September)));
        Assert.Equal(1_000_000, model.ContextWindow);
        Assert.Equal(128_000, model.MaxOutputTokens);
    }

    [Fact]
    public void ClaudeFable5_OnAnthropicAndBedrockGlobalAndUs_SuspendedForTheFirstTwoWeeksOfJune()
    {
        var model = Model("claude-fable-5");

        Assert.Equal(
            [("anthropic", "claude-fable-5", 10m, 50m), ("bedrock", "global.anthropic.claude-fable-5-v1:0", 10m, 50m), ("bedrock", "us.anthropic.claude-fable-5-v1:0", 11m, 55m)],
            model.Providers.Select(m => Row(m, Launch)));
        Assert.All(model.Providers, m =>
        {
            Assert.True(m.IsAvailableAt(DateTimeOffset.Parse("2026-05-31T23:59:59.9999999Z")));
            Assert.False(m.IsAvailableAt(DateTimeOffset.Parse("2026-06-01T00:00:00Z")));
            Assert.False(m.IsAvailableAt(DateTimeOffset.Parse("2026-06-14T23:59:59.9999999Z")));
            Assert.True(m.IsAvailableAt(DateTimeOffset.Parse("2026-06-15T00:00:00Z")));
        });
    }

    [Fact]
    public void Gemma4_31B_OnCerebras_And_GeminiFlashLiteImage_OnGoogleAndVertex()
    {
        Assert.Equal([("cerebras", "gemma-4-31b", 0.99m, 1.49m)], Model("gemma-4-31b").Providers.Select(m => Row(m, Launch)));
        var image = Model("gemini-3.1-flash-lite-image");
        Assert.Equal(ModelKinds.Image, image.Kind);
        Assert.Equal(["google", "vertex"], image.Providers.Select(m => m.Provider));
        Assert.All(image.Providers, m => Assert.Equal(0.034m, m.PriceAt(Launch)!.PerImage));
    }

    [Theory]
    [InlineData("gpt-5", "openai", "gpt-5", "1.25", "10")]
    [InlineData("gpt-5-mini", "openai", "gpt-5-mini", "0.25", "2")]
    [InlineData("gpt-4.1", "openai", "gpt-4.1", "2", "8")]
    [InlineData("claude-opus-4-5", "anthropic", "claude-opus-4-5-20251101", "5", "25")]
    [InlineData("claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5-20250929", "3", "15")]
    [InlineData("claude-haiku-4-5", "anthropic", "claude-haiku-4-5-20251001", "1", "5")]
    [InlineData("gemini-2.5-pro", "google", "gemini-2.5-pro", "1.25", "10")]
    [InlineData("gemini-2.5-flash", "google", "gemini-2.5-flash", "0.3", "2.5")]
    [InlineData("mistral-large-latest", "mistral", "mistral-large-latest", "0.5", "1.5")]
    [InlineData("mistral-medium-latest", "mistral", "mistral-medium-latest", "1.5", "7.5")]
    [InlineData("mistral-small-latest", "mistral", "mistral-small-latest", "0.1", "0.3")]
    [InlineData("codestral-latest", "mistral", "codestral-latest", "0.3", "0.9")]
    public void MainstreamModels_CarryTheirProvidersPublicPrices(string id, string provider, string providerModelId, string input, string output)
    {
        var mapping = Model(id).Providers.First(m => m.Provider == provider);

        Assert.Equal((provider, providerModelId, decimal.Parse(input, System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(output, System.Globalization.CultureInfo.InvariantCulture)), Row(mapping, Launch));
    }

    [Fact]
    public void ProviderModelIds_FollowEachProvidersScheme()
    {
        var mappings = ModelCatalog.LoadBuiltIn().Models.SelectMany(m => m.Providers).ToList();

        // Bedrock: anthropic.<model>-v<n>:<m>, through the global or US cross-region inference profile.
        Assert.All(mappings.Where(m => m.Provider == "bedrock"), m =>
            Assert.Matches(@"^(global|us)\.anthropic\.claude-[a-z0-9-]+-v\d+:\d+$", m.ProviderModelId));

        // Vertex: Claude ids start with "claude" (served as Claude on Vertex), pinned versions with @date.
        Assert.All(mappings.Where(m => m.Provider == "vertex" && m.ProviderModelId.StartsWith("claude", StringComparison.Ordinal)), m =>
            Assert.Matches(@"^claude-[a-z0-9-]+(@\d{8})?$", m.ProviderModelId));
    }
}
