using System.Security.Cryptography;
using System.Text;

namespace Tollgate.ProviderKeys;

/// <summary>
/// Seals and opens org provider credentials with AES-256-GCM. The key comes from
/// <c>Tollgate:Secrets:Key</c> (base64 of 32 bytes; every node of a cluster must be given the same
/// one), or, for the one-process default, from a key file generated under the data folder with
/// owner-only permissions. Each sealed value is bound to its row (associated data), so a value
/// copied into another row does not open.
/// </summary>
internal sealed class SecretBox
{
    /// <summary>Format version, the first byte of every sealed value.</summary>
    private const byte Version = 1;

    private const int NonceBytes = 12; // AES-GCM's standard nonce
    private const int TagBytes = 16;

    private readonly byte[] _key;

    /// <summary>A box with <paramref name="key"/> (32 bytes).</summary>
    public SecretBox(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("The secrets key must be 32 bytes.", nameof(key));
        }

        _key = key;
    }

    /// <summary>
    /// The box configured for this server: <c>Tollgate:Secrets:Key</c>, else the key file
    /// (<c>Tollgate:Secrets:KeyFile</c>, default <c>secrets.key</c> in the data folder), created on first start.
    /// </summary>
    public static SecretBox FromConfiguration(IConfiguration configuration)
    {
        var configured = configuration["Tollgate:Secrets:Key"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(configured.Trim());
            }
            catch (FormatException)
            {
                throw new InvalidOperationException("Tollgate:Secrets:Key must be base64 of 32 random bytes (e.g. `openssl rand -base64 32`).");
            }

            return key.Length == 32 ? new SecretBox(key)
                : throw new InvalidOperationException($"Tollgate:Secrets:Key must be 32 bytes once decoded, not {key.Length}.");
        }

        var path = configuration["Tollgate:Secrets:KeyFile"];
        if (string.IsNullOrWhiteSpace(path))
        {
            path = Path.Combine(DataFolder(configuration), "secrets.key");
        }

        return new SecretBox(LoadOrCreateKeyFile(path));
    }

    /// <summary>Seals <paramref name="plaintext"/> for the row <paramref name="rowId"/>: base64 of version, nonce, ciphertext and tag.</summary>
    public string Seal(string plaintext, string rowId)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[1 + NonceBytes + data.Length + TagBytes];
        sealedBytes[0] = Version;
        var nonce = sealedBytes.AsSpan(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagBytes);
        aes.Encrypt(nonce, data, sealedBytes.AsSpan(1 + NonceBytes, data.Length), sealedBytes.AsSpan(1 + NonceBytes + data.Length), Encoding.UTF8.GetBytes(rowId));
        CryptographicOperations.ZeroMemory(data);
        return Convert.ToBase64String(sealedBytes);
    }

    /// <summary>Opens a value sealed for <paramref name="rowId"/>; null when it was not sealed with this key for this row.</summary>
    public string? Open(string sealedValue, string rowId)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(sealedValue);
        }
        catch (FormatException)
        {
            return null;
        }

        if (bytes.Length < 1 + NonceBytes + TagBytes || bytes[0] != Version)
        {
            return null;
        }

        var length = bytes.Length - 1 - NonceBytes - TagBytes;
        var plain = new byte[length];
        try
        {
            using var aes = new AesGcm(_key, TagBytes);
            aes.Decrypt(bytes.AsSpan(1, NonceBytes), bytes.AsSpan(1 + NonceBytes, length), bytes.AsSpan(1 + NonceBytes + length), plain, Encoding.UTF8.GetBytes(rowId));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null; // another key (nodes configured differently) or another row
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>The folder the SQLite database lives in (default <c>data</c>), where the generated key file goes.</summary>
    private static string DataFolder(IConfiguration configuration)
    {
        var cs = configuration["Tollgate:Database:ConnectionString"];
        if ((configuration["Tollgate:Database:Provider"] ?? "sqlite") == "sqlite" && !string.IsNullOrWhiteSpace(cs))
        {
            var source = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(cs).DataSource;
            if (!string.IsNullOrEmpty(source) && source != ":memory:" && !source.StartsWith("file:", StringComparison.Ordinal))
            {
                return Path.GetDirectoryName(Path.GetFullPath(source)) ?? "data";
            }
        }

        return "data";
    }

    private static byte[] LoadOrCreateKeyFile(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var fresh = RandomNumberGenerator.GetBytes(32);
            try
            {
                // CreateNew with the mode set at creation: the file is never readable by others, even briefly;
                // two processes starting at once cannot both write one.
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var stream = new FileStream(path, options);
                stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(fresh)));
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }

        var key = Convert.FromBase64String(File.ReadAllText(path).Trim());
        return key.Length == 32 ? key : throw new InvalidOperationException($"The secrets key file {path} does not hold 32 bytes.");
    }
}
