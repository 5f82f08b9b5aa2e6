using System.Security.Cryptography;
using System.Text.Json;
using Tollgate.FakeProviders;

namespace Tollgate.Tests.Providers.Google;

/// <summary>
/// A Google service account made at run time (no private key is ever committed): a fresh RSA key and the
/// key file JSON Google issues, with <c>token_uri</c> pointing at a fake's token endpoint. The public key
/// is registered with the fake so it can verify the JWT grant's signature.
/// </summary>
public sealed class TestServiceAccount
{
    // One key per test process: RSA generation is the slow part, and the account's email is what differs.
    private static readonly Lazy<RSA> SharedKey = new(() => RSA.Create(2048));

    private TestServiceAccount(string email, string json)
    {
        Email = email;
        Json = json;
    }

    /// <summary>The account's <c>client_email</c>.</summary>
    public string Email { get; }

    /// <summary>The key file.</summary>
    public string Json { get; }

    /// <summary>A new account known to <paramref name="fake"/> (unless <paramref name="register"/> is false).</summary>
    public static TestServiceAccount For(FakeProviderServer fake, bool register = true, RSA? key = null)
    {
        key ??= SharedKey.Value;
        var email = $"gateway-{Guid.NewGuid():N}"[..20] + "@tollgate-test.iam.gserviceaccount.com";
        var json = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["project_id"] = "tollgate-test",
            ["private_key_id"] = "test-key-1",
            ["private_key"] = key.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = email,
            ["client_id"] = "1",
            ["token_uri"] = $"{fake.BaseAddress}token",
        });
        if (register)
        {
            fake.Options.GoogleServiceAccounts[email] = SharedKey.Value.ExportSubjectPublicKeyInfoPem();
        }

        return new TestServiceAccount(email, json);
    }
}
