using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

/// <summary>
/// OpenAI's per-image prices by size and quality in the built-in catalog, as OpenAI's model pages
/// list them (gpt-image-1, gpt-image-1-mini): each variant, and that a size the page does not price is not priced.
/// </summary>
public sealed class ImageVariantCatalogTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T00:00:00Z");

    private static ModelPrice Price(string id)
    {
        var model = ModelCatalog.LoadBuiltIn().Find(id) ?? throw new InvalidOperationException($"{id} is not in the catalog");
        Assert.Equal(ModelKinds.Image, model.Kind);
        var mapping = Assert.Single(model.Providers);
        Assert.Equal(("openai", id), (mapping.Provider, mapping.ProviderModelId));
        return mapping.PriceAt(Now)!;
    }

    [Theory]
    [InlineData("gpt-image-1", "low", "0.011", "0.016")]
    [InlineData("gpt-image-1", "medium", "0.042", "0.063")]
    [InlineData("gpt-image-1", "high", "0.167", "0.25")]
    [InlineData("gpt-image-1-mini", "low", "0.005", "0.006")]
    [InlineData("gpt-image-1-mini", "medium", "0.011", "0.015")]
    [InlineData("gpt-image-1-mini", "high", "0.036", "0.052")]
    public void GptImage_PerImagePrice_BySizeAndQuality(string model, string quality, string square, string oblong)
    {
        var price = Price(model);

        Assert.Equal(decimal.Parse(square, System.Globalization.CultureInfo.InvariantCulture), price.ImageVariants[$"1024x1024/{quality}"]);
        Assert.Equal(decimal.Parse(oblong, System.Globalization.CultureInfo.InvariantCulture), price.ImageVariants[$"1024x1536/{quality}"]);
        Assert.Equal(decimal.Parse(oblong, System.Globalization.CultureInfo.InvariantCulture), price.ImageVariants[$"1536x1024/{quality}"]);
    }

    [Theory]
    [InlineData("gpt-image-1", "5", "40")]
    [InlineData("gpt-image-1-mini", "2", "8")]
    public void GptImage_KeepsItsTokenPrices_AndListsNineVariants(string model, string input, string output)
    {
        var price = Price(model);

        Assert.Equal(9, price.ImageVariants.Count);
        Assert.Equal((decimal.Parse(input, System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(output, System.Globalization.CultureInfo.InvariantCulture)),
            (price.InputPerMillion, price.OutputPerMillion));
        Assert.False(price.ImageVariants.ContainsKey("1792x1024/high")); // not a gpt-image size: refused before it is sent
    }
}
