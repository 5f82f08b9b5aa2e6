using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Providers.Bedrock;

/// <summary>
/// AWS Signature Version 4 for one HTTP request, as AWS documents it:
/// <code>
/// (1) canonical request: method, canonical URI, canonical query, canonical headers, signed header names, payload hash
/// (2) string to sign: algorithm, request time, credential scope (date/region/service/aws4_request), hash of (1)
/// (3) signing key: HMAC chain "AWS4"+secret → date → region → service → "aws4_request"
/// (4) signature: hex HMAC of (2) with (3), sent in the Authorization header
/// </code>
/// Our own rather than AWSSDK.Core's signer: that one signs the SDK's internal request type, not an
/// <see cref="HttpRequestMessage"/>, and the whole algorithm is these few hashes (checked against
/// AWS's published signing examples in the tests).
/// </summary>
internal static class SigV4Signer
{
    /// <summary>The algorithm name in the string to sign and the Authorization header.</summary>
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>The header that carries the session token of temporary credentials.</summary>
    public const string SecurityTokenHeader = "x-amz-security-token";

    /// <summary>
    /// Signs <paramref name="request"/> (whose body is <paramref name="payload"/>) at <paramref name="now"/>:
    /// sets <c>x-amz-date</c> and <c>Authorization</c>, signing <c>content-type</c> (when there is a body),
    /// <c>host</c> and <c>x-amz-date</c>. The path is signed as sent, encoded once more (every service but S3).
    /// Temporary credentials (AWS STS) carry a <paramref name="sessionToken"/>: it is sent as
    /// <c>x-amz-security-token</c> and signed with the other headers (AWS's "header before" form, the
    /// one every JSON service such as the Bedrock runtime accepts).
    /// </summary>
    public static void Sign(
        HttpRequestMessage request, ReadOnlySpan<byte> payload, string accessKeyId, string secretAccessKey, string region, string service, DateTimeOffset now,
        string? sessionToken = null)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        request.Headers.Remove("x-amz-date");
        request.Headers.TryAddWithoutValidation("x-amz-date", amzDate);
        request.Headers.Remove(SecurityTokenHeader);

        var headers = new List<(string Name, string Value)>(4);
        if (request.Content?.Headers.ContentType is { } contentType)
        {
            headers.Add(("content-type", contentType.ToString()));
        }

        headers.Add(("host", uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port.ToString(CultureInfo.InvariantCulture)}"));
        headers.Add(("x-amz-date", amzDate));
        if (!string.IsNullOrEmpty(sessionToken))
        {
            request.Headers.TryAddWithoutValidation(SecurityTokenHeader, sessionToken);
            headers.Add((SecurityTokenHeader, sessionToken));
        }

        var signedHeaders = SignedHeaders(headers);
        var canonical = CanonicalRequest(
            request.Method.Method, CanonicalUri(uri.AbsolutePath, encodeTwice: true), CanonicalQuery(uri.Query), headers, signedHeaders, HexSha256(payload));
        var scope = Scope(date, region, service);
        var signature = Signature(SigningKey(secretAccessKey, date, region, service), StringToSign(amzDate, scope, canonical));
        request.Headers.Remove("Authorization");
        request.Headers.TryAddWithoutValidation("Authorization", $"{Algorithm} Credential={accessKeyId}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    /// <summary>The credential scope: <c>{yyyyMMdd}/{region}/{service}/aws4_request</c>.</summary>
    public static string Scope(string date, string region, string service) => $"{date}/{region}/{service}/aws4_request";

    /// <summary>The signed header names: lower case, sorted, joined by <c>;</c>.</summary>
    public static string SignedHeaders(List<(string Name, string Value)> headers)
    {
        headers.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return string.Join(';', headers.Select(h => h.Name));
    }

    /// <summary>Step 1: the canonical request. <paramref name="headers"/> are lower-case names, sorted.</summary>
    public static string CanonicalRequest(
        string method, string canonicalUri, string canonicalQuery, IEnumerable<(string Name, string Value)> headers, string signedHeaders, string payloadHash)
    {
        var text = new StringBuilder(256);
        text.Append(method).Append('\n').Append(canonicalUri).Append('\n').Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in headers)
        {
            text.Append(name).Append(':').Append(TrimValue(value)).Append('\n');
        }

        text.Append('\n').Append(signedHeaders).Append('\n').Append(payloadHash);
        return text.ToString();
    }

    /// <summary>Step 2: the string to sign.</summary>
    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        $"{Algorithm}\n{amzDate}\n{scope}\n{HexSha256(Encoding.UTF8.GetBytes(canonicalRequest))}";

    /// <summary>Step 3: the signing key derived from the secret for one day, region and service.</summary>
    public static byte[] SigningKey(string secretAccessKey, string date, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretAccessKey), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    /// <summary>Step 4: the signature, lower-case hex.</summary>
    public static string Signature(byte[] signingKey, string stringToSign) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));

    /// <summary>Lower-case hex SHA-256 of <paramref name="data"/>.</summary>
    public static string HexSha256(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// The canonical URI of a path as sent (already percent-encoded once). Every service but S3 signs
    /// it encoded once more, so a Bedrock model id's <c>:</c> is <c>%3A</c> on the wire and <c>%253A</c> here.
    /// </summary>
    public static string CanonicalUri(string wirePath, bool encodeTwice)
    {
        if (wirePath.Length == 0)
        {
            return "/";
        }

        return encodeTwice ? Encode(wirePath, keepSlash: true) : wirePath;
    }

    /// <summary>The canonical query: each name and value encoded, pairs sorted by name then value.</summary>
    public static string CanonicalQuery(string query)
    {
        var trimmed = query.StartsWith('?') ? query[1..] : query;
        if (trimmed.Length == 0)
        {
            return string.Empty;
        }

        var pairs = new List<(string Name, string Value)>();
        foreach (var part in trimmed.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? part : part[..equals]);
            var value = equals < 0 ? string.Empty : Uri.UnescapeDataString(part[(equals + 1)..]);
            pairs.Add((Encode(name, keepSlash: false), Encode(value, keepSlash: false)));
        }

        pairs.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name) is var byName and not 0 ? byName : string.CompareOrdinal(a.Value, b.Value));
        return string.Join('&', pairs.Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>AWS's URI encoding: unreserved characters as they are, every other UTF-8 byte as upper-case <c>%XX</c>.</summary>
    public static string Encode(string text, bool keepSlash)
    {
        var output = new StringBuilder(text.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' || (keepSlash && c == '/'))
            {
                output.Append(c);
            }
            else
            {
                output.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return output.ToString();
    }

    // Header values are trimmed and inner runs of spaces collapse to one.
    private static string TrimValue(string value)
    {
        var trimmed = value.Trim();
        if (!trimmed.Contains("  ", StringComparison.Ordinal))
        {
            return trimmed;
        }

        var output = new StringBuilder(trimmed.Length);
        foreach (var c in trimmed)
        {
            if (c != ' ' || output.Length == 0 || output[^1] != ' ')
            {
                output.Append(c);
            }
        }

        return output.ToString();
    }
}
