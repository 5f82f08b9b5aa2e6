namespace Tollgate.Catalog;

/// <summary>A catalog file that cannot be used: malformed JSON, a missing or invalid field, or a missing file.</summary>
public sealed class CatalogException : Exception
{
    /// <summary>Creates an exception with a message that names what is wrong and where.</summary>
    public CatalogException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public CatalogException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception about one field of one model.</summary>
    /// <param name="message">The full message, naming the model and the field.</param>
    /// <param name="model">The model's id, or <c>models[i]</c> when it has none.</param>
    /// <param name="field">The field's path inside the model, e.g. <c>providers[0].prices[0].inputPerMillion</c>.</param>
    public CatalogException(string message, string? model, string? field)
        : base(message)
    {
        Model = model;
        Field = field;
    }

    /// <summary>Creates an exception about one field of one model, with its cause.</summary>
    internal CatalogException(string message, string? model, string? field, Exception innerException)
        : base(message, innerException)
    {
        Model = model;
        Field = field;
    }

    /// <summary>Creates an exception with no message (for serializers and analyzers).</summary>
    public CatalogException()
    {
    }

    /// <summary>The model at fault: its id, or <c>models[i]</c> when it has none; null for file-level problems.</summary>
    public string? Model { get; }

    /// <summary>The field path inside the model, e.g. <c>providers[0].prices[0].inputPerMillion</c>; null when not about one field.</summary>
    public string? Field { get; }
}
