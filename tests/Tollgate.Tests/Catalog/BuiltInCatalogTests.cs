using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

public sealed class BuiltInCatalogTests
{
    private static readonly DateTimeOffset LastIntroductoryInstant = DateTimeOffset.Parse("2026-08-31T23:59:59.999Z");
    private static readonly DateTimeOffset SonnetFiveSwitch = DateTimeOffset.Parse("2026-09-01T00:00:00Z");

    [Fact]
    public void LoadBuiltIn_EmbeddedResource_ContainsTheLaunchModels()
    {
        var catalog = ModelCatalog.LoadBuiltIn();

        string[] expected =
        [
            "claude-sonnet-5", "claude-fable-5", "gemini-3.1-flash-lite-image", "gemma-4-31b",
            "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini",
            "text-embedding-3-small", "text-embedding-3-large",
            "claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5",
            "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
            "mistral-large-latest", "mistral-medium-latest", "mistral-small-latest", "codestral-latest", "mistral-ocr-latest",
        ];
        Assert.All(expected, id => Assert.NotNull(catalog.Find(id)));
        Assert.Null(catalog.Find("demo/echo"));
    }

    [Fact]
    public void Load_NoPathConfigured_ReturnsTheBuiltInCatalog()
    {
        var configuration = new ConfigurationBuilder().Build();

        var catalog = ModelCatalog.Load(configuration);

        Assert.Equal(ModelCatalog.LoadBuiltIn().Models.Select(m => m.Id), catalog.Models.Select(m => m.Id));
    }

    [Fact]
    public void ClaudeSonnet5_Limits_MatchTheLaunchNotes()
    {
        var catalog = ModelCatalog.LoadBuiltIn();

        var model = catalog.Find("claude-sonnet-5");

        Assert.NotNull(model);
        Assert.Equal("Claude Sonnet 5", model.Name);
        Assert.Equal(ModelKinds.Chat, model.Kind);
        Assert.Equal(1_000_000, model.ContextWindow);
        Assert.Equal(128_000, model.MaxOutputTokens);
        Assert.Equal(["anthropic", "vertex", "bedrock"], model.Providers.Select(p => p.Provider));
    }

    [Fact]
    public void ClaudeSonnet5_LastInstantOfIntroductoryPrice_Is2And10OnEveryProvider()
    {
        var model = ModelCatalog.LoadBuiltIn().Find("claude-sonnet-5")!;

        var prices = model.Providers.Select(p => p.PriceAt(LastIntroductoryInstant)).ToList();

        Assert.All(prices, price =>
        {
            Assert.NotNull(price);
            Assert.Equal(2m, price.InputPerMillion);
            Assert.Equal(10m, price.OutputPerMillion);
            Assert.Equal(0.2m, price.CachedInputPerMillion);
            Assert.Equal(2.5m, price.CacheWritePerMillion);
        });
    }

    [Fact]
    public void ClaudeSonnet5_FirstInstantOfSeptember_Is3And15OnEveryProvider()
    {
        var model = ModelCatalog.LoadBuiltIn().Find("claude-sonnet-5")!;

        var prices = model.Providers.Select(p => p.PriceAt(SonnetFiveSwitch)).ToList();

        Assert.All(prices, price =>
        {
            Assert.NotNull(price);
            Assert.Equal(3m, price.InputPerMillion);
            Assert.Equal(15m, price.OutputPerMillion);
            Assert.Equal(0.3m, price.CachedInputPerMillion);
            Assert.Equal(3.75m, price.CacheWritePerMillion);
        });
    }

    [Fact]
    public void ClaudeFable5_BedrockGlobalAndUs_AreTwoDistinctMappings()
    {
        var model = ModelCatalog.LoadBuiltIn().Find("claude-fable-5")!;

        var bedrock = model.Providers.Where(p => p.Provider == "bedrock").Select(p => p.ProviderModelId).ToList();

        Assert.Equal(2, bedrock.Count);
        Assert.Contains(bedrock, id => id.StartsWith("global.", StringComparison.Ordinal));
        Assert.Contains(bedrock, id => id.StartsWith("us.", StringComparison.Ordinal));
        Assert.Contains(model.Providers, p => p.Provider == "anthropic");
    }

    [Theory]
    [InlineData("2026-05-31T23:59:59.999Z", true)]
    [InlineData("2026-06-01T00:00:00Z", false)]
    [InlineData("2026-06-08T12:00:00Z", false)]
    [InlineData("2026-06-14T23:59:59.999Z", false)]
    [InlineData("2026-06-15T00:00:00Z", true)]
    public void ClaudeFable5_AroundTheSuspension_AvailabilityFollowsTheWindows(string instant, bool available)
    {
        var model = ModelCatalog.LoadBuiltIn().Find("claude-fable-5")!;

        var answers = model.Providers.Select(p => p.IsAvailableAt(DateTimeOffset.Parse(instant))).ToList();

        Assert.Equal(3, answers.Count);
        Assert.All(answers, answer => Assert.Equal(available, answer));
    }

    [Fact]
    public void Gemma4_OnCerebras_Costs099And149()
    {
        var model = ModelCatalog.LoadBuiltIn().Find("gemma-4-31b")!;

        var mapping = Assert.Single(model.Providers);
        var price = mapping.PriceAt(SonnetFiveSwitch);

        Assert.Equal("cerebras", mapping.Provider);
        Assert.NotNull(price);
        Assert.Equal(0.99m, price.InputPerMillion);
        Assert.Equal(1.49m, price.OutputPerMillion);
    }

    [Fact]
    public void GeminiFlashLiteImage_OnGoogleAndVertex_IsAnImageModelPricedPerImageAndByToken()
    {
        var model = ModelCatalog.LoadBuiltIn().Find("gemini-3.1-flash-lite-image")!;

        Assert.Equal(ModelKinds.Image, model.Kind);
        Assert.Equal(["google", "vertex"], model.Providers.Select(p => p.Provider));
        Assert.All(model.Providers, mapping =>
        {
            var price = mapping.PriceAt(SonnetFiveSwitch);
            Assert.NotNull(price);
            Assert.NotNull(price.PerImage);
            Assert.True(price.IsPricedForTokens);
        });
    }

    [Fact]
    public void Gemini25Pro_Prices_HaveALongContextTierAbove200kTokens()
    {
        var model = ModelCatalog.LoadBuiltIn().Find("gemini-2.5-pro")!;

        var price = model.Providers[0].PriceAt(SonnetFiveSwitch)!;

        var tier = Assert.Single(price.Tiers);
        Assert.Equal(200_000, tier.AboveInputTokens);
        Assert.True(tier.InputPerMillion > price.InputPerMillion);
    }

    [Fact]
    public void MistralOcr_Price_IsPerPage()
    {
        var model = ModelCatalog.LoadBuiltIn().Find("mistral-ocr-latest")!;

        var price = model.Providers[0].PriceAt(SonnetFiveSwitch);

        Assert.Equal(ModelKinds.Ocr, model.Kind);
        Assert.NotNull(price?.PerOcrPage);
    }

    [Fact]
    public void EveryChatMapping_AtLaunchAndAfterTheSwitch_IsPricedForTokens()
    {
        var catalog = ModelCatalog.LoadBuiltIn();

        var unpriced = catalog.Models
            .Where(m => m.Kind == ModelKinds.Chat)
            .SelectMany(m => m.Providers.Select(p => (Model: m.Id, Mapping: p)))
            .SelectMany(x => new[] { LastIntroductoryInstant, SonnetFiveSwitch }
                .Where(t => x.Mapping.PriceAt(t) is not { IsPricedForTokens: true })
                .Select(t => $"{x.Model} on {x.Mapping.Provider} at {t:O}"))
            .ToList();

        Assert.Empty(unpriced);
    }

    [Fact]
    public void EveryEmbeddingMapping_Price_HasAnInputPrice()
    {
        var catalog = ModelCatalog.LoadBuiltIn();

        var embeddings = catalog.Models.Where(m => m.Kind == ModelKinds.Embedding).ToList();

        Assert.NotEmpty(embeddings);
        Assert.All(embeddings.SelectMany(m => m.Providers), p => Assert.NotNull(p.PriceAt(SonnetFiveSwitch)?.InputPerMillion));
    }
}
