namespace Tollgate.Catalog;

/// <summary>Loads the catalog at start-up; a bad catalog fails start-up.</summary>
public static class CatalogServices
{
    /// <summary>Adds the <see cref="ModelCatalog"/> singleton (built-in, or <c>Tollgate:Catalog:Path</c>).</summary>
    public static IServiceCollection AddTollgateCatalog(this IServiceCollection services, IConfiguration configuration)
    {
        // Loaded eagerly so that a bad file stops the process before it listens.
        var catalog = ModelCatalog.Load(configuration);
        services.AddSingleton(catalog);
        return services;
    }
}
