using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

public sealed class ModelCatalogTests
{
    private const string OneModelCatalog = """
        {"models": [{"id": "only-model", "name": "Only Model", "kind": "chat", "maxOutputTokens": 1000,
          "providers": [{"provider": "openai", "providerModelId": "only-model-2026", "prices": [{"inputPerMillion": "1", "outputPerMillion": "2"}]}]}]}
        """;

    [Fact]
    public void Find_ExactId_ReturnsTheModel()
    {
        var catalog = new ModelCatalog([Model("gpt-5"), Model("gpt-5-mini")]);

        var model = catalog.Find("gpt-5-mini");

        Assert.Equal("gpt-5-mini", model?.Id);
    }

    [Theory]
    [InlineData("GPT-5")]
    [InlineData("gpt-5 ")]
    [InlineData("openai/gpt-5")]
    [InlineData("")]
    public void Find_IdThatDiffers_ReturnsNull(string modelId)
    {
        var catalog = new ModelCatalog([Model("gpt-5")]);

        var model = catalog.Find(modelId);

        Assert.Null(model);
    }

    [Fact]
    public void Constructor_DuplicateIds_Throws()
    {
        CatalogModel[] models = [Model("gpt-5"), Model("gpt-5")];

        var error = Assert.Throws<ArgumentException>(() => new ModelCatalog(models));

        Assert.Contains("'gpt-5'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithModels_ExtraModel_ReturnsANewCatalogWithBoth()
    {
        var catalog = new ModelCatalog([Model("gpt-5")]);

        var extended = catalog.WithModels([Model("demo/echo")]);

        Assert.Equal(["gpt-5", "demo/echo"], extended.Models.Select(m => m.Id));
        Assert.NotNull(extended.Find("demo/echo"));
        Assert.Null(catalog.Find("demo/echo"));
    }

    [Fact]
    public void WithModels_IdAlreadyInTheCatalog_Throws()
    {
        var catalog = new ModelCatalog([Model("gpt-5")]);

        Assert.Throws<ArgumentException>(() => catalog.WithModels([Model("gpt-5")]));
    }

    [Fact]
    public void Load_PathConfigured_ReplacesTheBuiltInCatalog()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tollgate-catalog-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, OneModelCatalog);
        try
        {
            var configuration = Configuration(path);

            var catalog = ModelCatalog.Load(configuration);

            var model = Assert.Single(catalog.Models);
            Assert.Equal("only-model", model.Id);
            Assert.Null(catalog.Find("claude-sonnet-5"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_PathToMissingFile_FailsNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tollgate-missing-{Guid.NewGuid():N}.json");
        var configuration = Configuration(path);

        var error = Assert.Throws<CatalogException>(() => ModelCatalog.Load(configuration));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PathToInvalidFile_FailsNamingThePathTheModelAndTheField()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tollgate-catalog-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, OneModelCatalog.Replace("\"maxOutputTokens\": 1000,", "", StringComparison.Ordinal));
        try
        {
            var configuration = Configuration(path);

            var error = Assert.Throws<CatalogException>(() => ModelCatalog.Load(configuration));

            Assert.Equal($"Catalog file '{path}': Catalog model 'only-model': maxOutputTokens is required for chat models.", error.Message);
            Assert.Equal("only-model", error.Model);
            Assert.Equal("maxOutputTokens", error.Field);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AddTollgateCatalog_BadCatalogFile_FailsAtRegistration()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tollgate-catalog-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"models\": [");
        try
        {
            var services = new ServiceCollection();

            Assert.Throws<CatalogException>(() => services.AddTollgateCatalog(Configuration(path)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AddTollgateCatalog_NoPath_RegistersTheBuiltInCatalogAsASingleton()
    {
        var services = new ServiceCollection();

        services.AddTollgateCatalog(new ConfigurationBuilder().Build());
        using var provider = services.BuildServiceProvider();

        var catalog = provider.GetRequiredService<ModelCatalog>();
        Assert.Same(catalog, provider.GetRequiredService<ModelCatalog>());
        Assert.NotNull(catalog.Find("claude-sonnet-5"));
    }

    private static IConfiguration Configuration(string catalogPath) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [ModelCatalog.PathKey] = catalogPath })
            .Build();

    private static CatalogModel Model(string id) => new(id, id, ModelKinds.Chat, 128_000, 16_384,
    [
        new ProviderMapping("openai", id) { Prices = [new PriceSchedule(null, null, new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m })] },
    ]);
}
