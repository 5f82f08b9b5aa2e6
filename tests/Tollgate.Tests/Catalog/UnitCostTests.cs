using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

/// <summary>Prices in each modality's unit, and image/video variants in the catalog file.</summary>
public sealed class UnitCostTests
{
    private const string Json = """
        {"models":[{"id":"img","kind":"image","providers":[{"provider":"openai","providerModelId":"img",
          "prices":[{"perImage":"0.05","perImageVariants":{"1024x1024/low":"0.011","1024x1024/high":"0.167","1536x1024":"0.2"},
                     "perVideoSecondVariants":{"1280x720":"0.1","1920x1080":"0.3"}}]}]}]}
        """;

    private static ModelPrice Price() => CatalogJson.Load(Json).Models[0].Providers[0].Prices[0].Price;

    [Fact]
    public void Variants_ExactThenSizeElseUnpriced()
    {
        var price = Price();

        Assert.Equal(0.167m, price.ImagePrice("1024x1024/high"));
        Assert.Equal(0.2m, price.ImagePrice("1536x1024/medium"));
        Assert.Null(price.ImagePrice("512x512"));
        Assert.Equal(0.05m, price.ImagePrice(null));
        Assert.Equal(0.3m, price.VideoSecondPrice("1920x1080"));
        Assert.Null(price.VideoSecondPrice("640x480"));
        Assert.True(price.IsPricedFor(ModelKinds.Image));
        Assert.False(price.IsPricedFor(ModelKinds.Ocr));
    }

    [Fact]
    public void Compute_EachUnitExactly()
    {
        var price = new ModelPrice { SpeechPerMillionCharacters = 15m, PerAudioMinute = 0.006m, PerOcrPage = 0.001m, PerVideoSecond = 0.1m };

        Assert.Equal(0.000195m, UnitCost.Compute(price, new UnitUsage { Characters = 13 }));
        Assert.Equal(0.0003m, UnitCost.Compute(price, new UnitUsage { AudioSeconds = 3 }));
        Assert.Equal(0.003m, UnitCost.Compute(price, new UnitUsage { Pages = 3 }));
        Assert.Equal(0.8m, UnitCost.Compute(price, new UnitUsage { VideoSeconds = 8 }));
        Assert.Equal(2 * 0.167m, UnitCost.Compute(Price(), new UnitUsage { Images = 2, ImageVariant = "1024x1024/high" }));
    }

    [Fact]
    public void Compute_AUnitWithoutAPrice_IsNullNeverZero()
    {
        Assert.Null(UnitCost.Compute(new ModelPrice { PerOcrPage = 0.001m }, new UnitUsage { Characters = 1 }));
        Assert.Null(UnitCost.Compute(Price(), new UnitUsage { Images = 1, ImageVariant = "512x512/low" }));
    }

    [Fact]
    public void Variants_NotAnObject_FailsNamingTheField()
    {
        var error = CatalogJson.LoadFails("""
            {"models":[{"id":"img","kind":"image","providers":[{"provider":"openai","providerModelId":"img",
              "prices":[{"perImageVariants":"0.1"}]}]}]}
            """);

        Assert.Contains("perImageVariants", error.Message, StringComparison.Ordinal);
    }
}
