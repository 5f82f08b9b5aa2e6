using System.Net;
using System.Net.Sockets;

namespace Tollgate.ProviderKeys;

/// <summary>
/// Keeps org provider keys' base URLs off the server's own network: loopback, link-local (cloud
/// metadata at 169.254.169.254 included), private, carrier-grade NAT, unique-local and unspecified
/// addresses are refused, unless <c>Tollgate:Providers:AllowPrivateBaseUrls</c> is true. A URL is
/// checked when it is saved (its name resolved), and again at every connection
/// (<see cref="ConnectAsync"/>), so a name that later resolves elsewhere (DNS rebinding) is refused
/// too. Redirects are never followed on upstream traffic.
/// </summary>
internal sealed class BaseUrlGuard(bool allowPrivate)
{
    /// <summary>Whether private addresses are allowed (tests point org keys at a fake on 127.0.0.1).</summary>
    public bool AllowPrivate => allowPrivate;

    /// <summary>The guard configured for this server.</summary>
    public static BaseUrlGuard FromConfiguration(IConfiguration configuration) =>
        new(string.Equals(configuration["Tollgate:Providers:AllowPrivateBaseUrls"], "true", StringComparison.OrdinalIgnoreCase));

    /// <summary>Why <paramref name="url"/> may not be an org key's base URL, or null when it may.</summary>
    public async Task<string?> CheckAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "baseUrl must be an absolute http or https URL.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return "baseUrl must not carry user info, a query or a fragment.";
        }

        if (allowPrivate)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            var host = uri.IdnHost.Trim('[', ']'); // IPv6 literals come bracketed
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return $"baseUrl's host '{uri.Host}' does not resolve.";
        }

        return addresses.Length == 0 ? $"baseUrl's host '{uri.Host}' does not resolve."
            : addresses.Any(IsPrivate) ? $"baseUrl's host '{uri.Host}' is a loopback, link-local or private address, which org provider keys may not reach."
            : null;
    }

    /// <summary>
    /// <see cref="SocketsHttpHandler.ConnectCallback"/> for org base URLs: resolves the host, refuses a
    /// private address (unless allowed), and connects to the checked address itself, so nothing
    /// resolved after the check is used.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var endpoint = context.DnsEndPoint;
        var host = endpoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        var allowed = allowPrivate ? addresses : addresses.Where(a => !IsPrivate(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"The host '{endpoint.Host}' resolves only to addresses org provider keys may not reach.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True for an address on the server's own network or no public network at all.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] == 0                                    // 0.0.0.0/8 "this network"
                || b[0] == 10                                   // 10/8
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)   // 100.64/10 carrier-grade NAT
                || b[0] == 127                                  // loopback
                || (b[0] == 169 && b[1] == 254)                 // link-local, cloud metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)    // 172.16/12
                || (b[0] == 192 && b[1] == 168)                 // 192.168/16
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)      // 192.0.0/24 protocol assignments
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))  // 198.18/15 benchmarking
                || b[0] >= 224;                                 // multicast and reserved
        }

        Span<byte> v6 = stackalloc byte[16];
        address.TryWriteBytes(v6, out _);
        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (v6[0] & 0xFE) == 0xFC                           // fc00::/7 unique local
            || (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xFF && v6[3] == 0x9B); // 64:ff9b::/96 NAT64 can reach IPv4 private space
    }
}
