using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Google;

/// <summary>
/// <c>POST /token</c>, Google's OAuth token endpoint for the JWT bearer grant (RFC 7523) as a service
/// account uses it: form fields <c>grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer</c> and
/// <c>assertion</c>, a JWT whose RS256 signature is verified against the public key registered for its
/// <c>iss</c> (<see cref="FakeOptions.GoogleServiceAccounts"/>), whose <c>aud</c> must be Google's token URL
/// or this endpoint's own, whose <c>scope</c> must include cloud-platform and whose <c>exp</c> must be in the future and at
/// most an hour after <c>iat</c>. A valid grant gets an opaque access token that lives
/// <see cref="FakeOptions.GoogleTokenLifetimeSeconds"/>; refusals are Google's 400 <c>invalid_grant</c>.
/// </summary>
internal sealed class VertexTokenEndpoint(FakeOptions options, RequestLog log, TimeProvider time)
{
    private const string GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private const string CloudPlatform = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>Google's token URL, the audience Google's own libraries put in the grant whatever the key file's token_uri.</summary>
    private const string GoogleTokenUrl = "https://oauth2.googleapis.com/token";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _issued = new(StringComparer.Ordinal);

    /// <summary>Access tokens granted so far.</summary>
    public int Granted => _issued.Count;

    /// <summary>True when <paramref name="token"/> was issued here and has not expired.</summary>
    public bool IsValid(string? token) =>
        token is not null && _issued.TryGetValue(token, out var expires) && expires > time.GetUtcNow();

    public async Task HandleAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        var body = await FakeExchange.ReadBodyAsync(context.Request, aborted);
        FakeExchange.Record(log, context.Request, "google-token", body, time);
        var form = System.Web.HttpUtility.ParseQueryString(Encoding.UTF8.GetString(body));
        if (form["grant_type"] != GrantType)
        {
            await RefuseAsync(context.Response, "unsupported_grant_type", "Invalid grant_type: " + form["grant_type"], aborted);
            return;
        }

        var audience = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}";
        if (Verify(form["assertion"], audience) is { } refusal)
        {
            await RefuseAsync(context.Response, "invalid_grant", refusal, aborted);
            return;
        }

        var token = "ya29.fake-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        var lifetime = Math.Max(1, options.GoogleTokenLifetimeSeconds);
        _issued[token] = time.GetUtcNow().AddSeconds(lifetime);
        context.Response.ContentType = "application/json; charset=utf-8";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, OpenAIError.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("access_token"u8, token);
            json.WriteNumber("expires_in"u8, lifetime);
            json.WriteString("token_type"u8, "Bearer"u8);
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(aborted);
    }

    /// <summary>Null for a valid assertion; otherwise why not, in Google's words where it has them.</summary>
    private string? Verify(string? assertion, string audience)
    {
        var parts = assertion?.Split('.');
        if (parts is not { Length: 3 })
        {
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.";
        }

        JsonElement header, claims;
        byte[] signature;
        try
        {
            header = JsonDocument.Parse(Base64Url(parts[0])).RootElement;
            claims = JsonDocument.Parse(Base64Url(parts[1])).RootElement;
            signature = Base64Url(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return "Invalid JWT: the assertion is not base64url JSON.";
        }

        if (Str(header, "alg") != "RS256")
        {
            return "Invalid JWT: unsupported algorithm.";
        }

        var issuer = Str(claims, "iss");
        if (issuer is null || !options.GoogleServiceAccounts.TryGetValue(issuer, out var publicKeyPem))
        {
            return "Invalid grant: account not found";
        }

        using (var rsa = RSA.Create())
        {
            rsa.ImportFromPem(publicKeyPem);
            var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            if (!rsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return "Invalid JWT Signature.";
            }
        }

        if (Str(claims, "aud") is not { } aud || (aud != audience && aud != GoogleTokenUrl))
        {
            return $"Invalid JWT: audience must be {audience}, not {Str(claims, "aud")}.";
        }

        if (Str(claims, "scope") is not { } scope || !scope.Split(' ').Contains(CloudPlatform))
        {
            return "Invalid JWT: the scope must include " + CloudPlatform + ".";
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (Num(claims, "exp") is not { } exp || Num(claims, "iat") is not { } iat || exp <= now || exp - iat > 3600 || iat > exp)
        {
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";
        }

        return null;
    }

    private static async Task RefuseAsync(HttpResponse response, string error, string description, CancellationToken aborted)
    {
        response.StatusCode = StatusCodes.Status400BadRequest;
        response.ContentType = "application/json; charset=utf-8";
        using (var json = new Utf8JsonWriter(response.BodyWriter, OpenAIError.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("error"u8, error);
            json.WriteString("error_description"u8, description);
            json.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(aborted);
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => string.Empty };
        return Convert.FromBase64String(padded);
    }

    private static string? Str(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Num(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetInt64()
            : obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.String
                && long.TryParse(s.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
}
