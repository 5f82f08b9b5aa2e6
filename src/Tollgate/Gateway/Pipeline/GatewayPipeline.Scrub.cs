using Tollgate.Providers;

namespace Tollgate.Gateway.Pipeline;

/// <summary>Keeps provider credentials out of what the pipeline sends to clients.</summary>
internal sealed partial class GatewayPipeline
{
    /// <summary>Removes every credential of the endpoint (API key, AWS secret, service-account key) from text that goes to a client.</summary>
    private static string Scrub(string text, ProviderEndpoint endpoint)
    {
        foreach (var secret in endpoint.Secrets())
        {
            text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
        }

        return text;
    }

    private static byte[] Scrub(byte[] bytes, ProviderEndpoint endpoint)
    {
        foreach (var secret in endpoint.Secrets())
        {
            if (bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(secret)) >= 0)
            {
                return System.Text.Encoding.UTF8.GetBytes(Scrub(System.Text.Encoding.UTF8.GetString(bytes), endpoint));
            }
        }

        return bytes;
    }
}
