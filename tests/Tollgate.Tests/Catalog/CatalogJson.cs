using System.Text;
using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

/// <summary>Loads catalog JSON written inline by a test.</summary>
internal static class CatalogJson
{
    public static ModelCatalog Load(string json)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return ModelCatalog.LoadFrom(stream);
    }

    public static CatalogException LoadFails(string json) => Assert.Throws<CatalogException>(() => Load(json));
}
