using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;

namespace Tollgate.Providers.Google;

/// <summary>
/// OAuth access tokens for Vertex AI from a service-account key: a JWT signed with the key (RS256) is
/// exchanged at the key's <c>token_uri</c> (the JWT bearer grant) for a token scoped to
/// <c>cloud-platform</c>. One <see cref="ServiceAccountCredential"/> per service-account key, kept for
/// the process: it caches the token, refreshes it ahead of its expiry, and makes one fetch that
/// concurrent requests share. The clock is the server's <see cref="TimeProvider"/>, so expiry is
/// testable.
/// </summary>
public sealed class VertexTokenSource(TimeProvider time)
{
    /// <summary>The scope Vertex AI requires.</summary>
    public const string Scope = "https://www.googleapis.com/auth/cloud-platform";

    private readonly ConcurrentDictionary<string, Lazy<ServiceAccountCredential>> _credentials = new(StringComparer.Ordinal);
    private readonly TimeProviderClock _clock = new(time);

    /// <summary>
    /// A current access token for <paramref name="serviceAccountJson"/>. A key the token endpoint refuses
    /// (or cannot be reached with) is an <see cref="HttpRequestException"/>: with the endpoint's 401 for a
    /// refused grant, so the pipeline answers it like any provider refusing a credential.
    /// </summary>
    public async ValueTask<string> GetTokenAsync(string serviceAccountJson, CancellationToken cancellationToken)
    {
        var credential = _credentials.GetOrAdd(serviceAccountJson, json => new Lazy<ServiceAccountCredential>(() => Create(json))).Value;
        try
        {
            return await credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (TokenResponseException e)
        {
            throw new HttpRequestException(
                $"The token endpoint refused the service account's grant: {e.Error?.Error} {e.Error?.ErrorDescription}".TrimEnd(),
                e, HttpStatusCode.Unauthorized);
        }
    }

    private ServiceAccountCredential Create(string json)
    {
        string? email, key, keyId, tokenUri;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            email = Text(root, "client_email");
            key = Text(root, "private_key");
            keyId = Text(root, "private_key_id");
            tokenUri = Text(root, "token_uri");
        }
        catch (JsonException e)
        {
            throw new HttpRequestException("The Vertex service-account JSON is not valid JSON.", e, HttpStatusCode.Unauthorized);
        }

        if (email is null || key is null)
        {
            throw new HttpRequestException("The Vertex service-account JSON lacks client_email or private_key.", null, HttpStatusCode.Unauthorized);
        }

        // token_uri comes from the key file itself (Google's is https://oauth2.googleapis.com/token).
        var initializer = new ServiceAccountCredential.Initializer(email, tokenUri ?? GoogleAuthConsts.OidcTokenUrl)
        {
            KeyId = keyId,
            Scopes = [Scope],
            Clock = _clock,
        };
        return new ServiceAccountCredential(initializer.FromPrivateKey(key));
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    /// <summary>The library's clock over the server's <see cref="TimeProvider"/>.</summary>
    private sealed class TimeProviderClock(TimeProvider time) : global::Google.Apis.Util.IClock
    {
        public DateTime Now => time.GetLocalNow().DateTime;

        public DateTime UtcNow => time.GetUtcNow().UtcDateTime;
    }
}
