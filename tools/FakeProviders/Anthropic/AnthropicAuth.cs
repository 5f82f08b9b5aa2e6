using System.Security.Cryptography;
using System.Text;

namespace Tollgate.FakeProviders.Anthropic;

/// <summary>
/// The key of an Anthropic request: <c>x-api-key</c>, or <c>Authorization: Bearer</c> as the official .NET
/// SDK's auth token and Vertex-style clients send it.
/// </summary>
internal static class AnthropicAuth
{
    private const string Scheme = "Bearer ";

    /// <summary>Null when a key is present (equal to <paramref name="requiredKey"/> when that is set); otherwise the 401.</summary>
    public static AnthropicError? Check(HttpRequest request, string? requiredKey)
    {
        var key = ((string?)request.Headers["x-api-key"])?.Trim();
        if (string.IsNullOrEmpty(key))
        {
            var authorization = (string?)request.Headers.Authorization;
            if (authorization is not null && authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
            {
                key = authorization[Scheme.Length..].Trim();
            }
        }

        if (string.IsNullOrEmpty(key))
        {
            return AnthropicError.MissingApiKey;
        }

        return requiredKey is null || CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(requiredKey))
            ? null
            : AnthropicError.InvalidApiKey;
    }
}
