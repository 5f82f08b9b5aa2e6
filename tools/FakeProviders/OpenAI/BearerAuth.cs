using Microsoft.Extensions.Primitives;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary><c>Authorization: Bearer &lt;key&gt;</c>, checked the way OpenAI-compatible providers do.</summary>
internal static class BearerAuth
{
    private const string Scheme = "Bearer ";

    /// <summary>
    /// Null when the header carries a bearer key (equal to <paramref name="requiredKey"/> when that is
    /// set); otherwise the 401 to answer with.
    /// </summary>
    public static OpenAIError? Check(StringValues authorization, string? requiredKey)
    {
        var header = (string?)authorization;
        if (header is null || header.Length <= Scheme.Length || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return OpenAIError.MissingApiKey;
        }

        var key = header.AsSpan(Scheme.Length).Trim();
        if (key.IsEmpty)
        {
            return OpenAIError.MissingApiKey;
        }

        return requiredKey is null || key.SequenceEqual(requiredKey) ? null : OpenAIError.IncorrectApiKey(key.ToString());
    }
}
