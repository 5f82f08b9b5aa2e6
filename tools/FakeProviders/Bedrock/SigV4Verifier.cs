using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace Tollgate.FakeProviders.Bedrock;

/// <summary>
/// Checks a request's AWS Signature Version 4 the way AWS does: it parses the <c>Authorization</c>
/// header, rebuilds the canonical request from what actually arrived (method, the raw path encoded
/// once more, the sorted query, the named headers' values, the SHA-256 of the body), derives the
/// signing key from the secret it knows for that access key, and compares signatures. Written apart
/// from the gateway's signer, so the two check each other. Temporary credentials (an access key that
/// the fake knows with a session token) must carry that token in <c>x-amz-security-token</c>: none, or
/// another one, is AWS's 403 <c>UnrecognizedClientException</c> ("the security token included in the
/// request is invalid"). The fake also insists the token is among the signed headers, the form the
/// AWS SDKs send, so a signer that forgets to sign it fails here rather than in production.
/// </summary>
internal static class SigV4Verifier
{
    private const string Algorithm = "AWS4-HMAC-SHA256";
    private static readonly TimeSpan AllowedSkew = TimeSpan.FromMinutes(15);

    /// <summary>Null when the signature is valid; otherwise the AWS error to answer with.</summary>
    public static BedrockError? Verify(HttpContext context, byte[] body, Func<string, FakeAwsCredential?> credentials, DateTimeOffset now)
    {
        var request = context.Request;
        var authorization = (string?)request.Headers.Authorization;
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return BedrockError.MissingAuthentication;
        }

        string? credential = null, signedHeaders = null, signature = null;
        foreach (var part in authorization[(Algorithm.Length + 1)..].Split(','))
        {
            var pair = part.Trim();
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                continue;
            }

            var value = pair[(equals + 1)..];
            switch (pair[..equals])
            {
                case "Credential":
                    credential = value;
                    break;
                case "SignedHeaders":
                    signedHeaders = value;
                    break;
                case "Signature":
                    signature = value;
                    break;
                default:
                    break;
            }
        }

        // Credential = AKID/yyyyMMdd/region/service/aws4_request
        var scopeParts = credential?.Split('/');
        if (scopeParts is not { Length: 5 } || signedHeaders is null || signature is null || scopeParts[4] != "aws4_request")
        {
            return BedrockError.IncompleteSignature;
        }

        if (credentials(scopeParts[0]) is not { } known)
        {
            return BedrockError.UnrecognizedClient;
        }

        var secret = known.SecretAccessKey;
        var sentToken = (string?)request.Headers["x-amz-security-token"];
        if (known.SessionToken is not null
            && (sentToken is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sentToken), Encoding.UTF8.GetBytes(known.SessionToken))))
        {
            return BedrockError.UnrecognizedClient;
        }

        if (scopeParts[3] != "bedrock")
        {
            return BedrockError.SignatureMismatch;
        }

        var amzDate = (string?)request.Headers["x-amz-date"];
        if (amzDate is null || !DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var signedAt) || amzDate[..8] != scopeParts[1])
        {
            return BedrockError.IncompleteSignature;
        }

        if ((now - signedAt).Duration() > AllowedSkew)
        {
            return BedrockError.SignatureExpired;
        }

        var names = signedHeaders.Split(';');
        if (!names.Contains("host") || !names.Contains("x-amz-date") || (sentToken is not null && !names.Contains("x-amz-security-token")))
        {
            return BedrockError.SignatureMismatch;
        }

        var canonical = new StringBuilder();
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? rawTarget : rawTarget[..query];
        canonical.Append(request.Method).Append('\n')
            .Append(UriEncode(path, slash: true)).Append('\n')
            .Append(Query(query < 0 ? string.Empty : rawTarget[(query + 1)..])).Append('\n');
        foreach (var name in names)
        {
            var values = name == "host" ? request.Host.Value ?? string.Empty : string.Join(',', request.Headers[name].Select(v => v?.Trim()));
            canonical.Append(name).Append(':').Append(values).Append('\n');
        }

        canonical.Append('\n').Append(signedHeaders).Append('\n').Append(Convert.ToHexStringLower(SHA256.HashData(body)));

        var scope = string.Join('/', scopeParts[1..]);
        var toSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + secret);
        foreach (var step in scopeParts[1..])
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(step));
        }

        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : BedrockError.SignatureMismatch;
    }

    private static string Query(string query)
    {
        if (query.Length == 0)
        {
            return string.Empty;
        }

        return string.Join('&', query.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Name: UriEncode(Uri.UnescapeDataString(p[0]), slash: false), Value: UriEncode(Uri.UnescapeDataString(p.Length > 1 ? p[1] : string.Empty), slash: false)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));
    }

    // RFC 3986 unreserved characters stay; every other byte becomes %XX (upper case).
    private static string UriEncode(string text, bool slash)
    {
        var output = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
                or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~' || (slash && b == (byte)'/'))
            {
                output.Append((char)b);
            }
            else
            {
                output.Append(CultureInfo.InvariantCulture, $"%{b:X2}");
            }
        }

        return output.ToString();
    }
}

/// <summary>An AWS credential the Bedrock fake knows: the secret for an access key id, and the session token of temporary credentials.</summary>
internal sealed record FakeAwsCredential(string SecretAccessKey, string? SessionToken);
