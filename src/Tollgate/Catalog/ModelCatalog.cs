using System.Collections.Frozen;

namespace Tollgate.Catalog;

/// <summary>
/// The models Tollgate can route, with their provider mappings and prices. Immutable: a changed catalog is a new
/// instance, so a request holds one consistent view of prices from start to settlement.
/// </summary>
public sealed class ModelCatalog
{
    /// <summary>Configuration key of a catalog file that replaces the built-in catalog.</summary>
    public const string PathKey = "Tollgate:Catalog:Path";

    /// <summary>Manifest resource name of the built-in catalog (<c>Catalog/catalog.json</c>).</summary>
    public const string BuiltInResourceName = "Tollgate.Catalog.catalog.json";

    private readonly FrozenDictionary<string, CatalogModel> _byId;

    /// <summary>Creates a catalog of <paramref name="models"/>, whose ids must be unique (ordinal).</summary>
    /// <exception cref="ArgumentException">Two models share an id.</exception>
    public ModelCatalog(IReadOnlyList<CatalogModel> models)
    {
        ArgumentNullException.ThrowIfNull(models);

        var byId = new Dictionary<string, CatalogModel>(models.Count, StringComparer.Ordinal);
        foreach (var model in models)
        {
            ArgumentNullException.ThrowIfNull(model, nameof(models));
            if (!byId.TryAdd(model.Id, model))
            {
                throw new ArgumentException($"Duplicate model id '{model.Id}'.", nameof(models));
            }
        }

        Models = [.. models];
        _byId = byId.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Every model, in catalog order.</summary>
    public IReadOnlyList<CatalogModel> Models { get; }

    /// <summary>
    /// The catalog for this configuration: the file at <c>Tollgate:Catalog:Path</c> when set (it replaces the
    /// built-in catalog), else the built-in catalog.
    /// </summary>
    /// <exception cref="CatalogException">The file is missing or invalid.</exception>
    public static ModelCatalog Load(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        var path = configuration[PathKey];
        if (string.IsNullOrWhiteSpace(path))
        {
            return LoadBuiltIn();
        }

        var fullPath = Path.GetFullPath(path);
        FileStream stream;
        try
        {
            stream = File.OpenRead(fullPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CatalogException($"Catalog file '{fullPath}' ({PathKey}) was not found.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CatalogException($"Catalog file '{fullPath}' ({PathKey}) cannot be read: {ex.Message}", ex);
        }

        using (stream)
        {
            try
            {
                return LoadFrom(stream);
            }
            catch (CatalogException ex)
            {
                throw new CatalogException($"Catalog file '{fullPath}': {ex.Message}", ex.Model, ex.Field, ex);
            }
        }
    }

    /// <summary>The built-in catalog shipped as the embedded resource <see cref="BuiltInResourceName"/>.</summary>
    public static ModelCatalog LoadBuiltIn()
    {
        using var stream = typeof(ModelCatalog).Assembly.GetManifestResourceStream(BuiltInResourceName)
            ?? throw new InvalidOperationException($"The embedded resource '{BuiltInResourceName}' is missing from the build.");
        return LoadFrom(stream);
    }

    /// <summary>Reads and validates a catalog in the format of spec/README.md, "Catalog file".</summary>
    /// <exception cref="CatalogException">The JSON is malformed, or a model is invalid; the message names the model and field.</exception>
    public static ModelCatalog LoadFrom(Stream utf8Json) => new(CatalogLoader.Read(utf8Json));

    /// <summary>The model with exactly this id (ordinal), or null.</summary>
    public CatalogModel? Find(string modelId)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        return _byId.GetValueOrDefault(modelId);
    }

    /// <summary>A new catalog with <paramref name="extra"/> appended (e.g. the <c>--demo</c> model).</summary>
    /// <exception cref="ArgumentException">An extra model's id is already in the catalog.</exception>
    public ModelCatalog WithModels(IEnumerable<CatalogModel> extra)
    {
        ArgumentNullException.ThrowIfNull(extra);
        return new ModelCatalog([.. Models, .. extra]);
    }
}
