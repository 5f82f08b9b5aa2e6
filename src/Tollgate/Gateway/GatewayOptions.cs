using System.Globalization;

namespace Tollgate.Gateway;

/// <summary>Data-plane settings, read once at start-up.</summary>
/// <param name="KeepAlive">SSE keepalive interval (<c>Tollgate:Streaming:KeepAliveSeconds</c>, default 15).</param>
/// <param name="MaxRequestBytes">Largest accepted request body (<c>Tollgate:Gateway:MaxRequestBytes</c>, default 25 MiB).</param>
/// <param name="UpstreamTimeout">Longest wait for a provider's response headers (<c>Tollgate:Gateway:UpstreamTimeoutSeconds</c>, default 300).</param>
/// <param name="MaxAttempts">Provider attempts per request: the first and at most 2 fallbacks.</param>
public sealed record GatewayOptions(TimeSpan KeepAlive, long MaxRequestBytes, TimeSpan UpstreamTimeout, int MaxAttempts)
{
    /// <summary>
    /// After a provider's response headers, the longest silence while reading its answer
    /// (<c>Tollgate:Streaming:IdleTimeoutSeconds</c>, default 300): a stalled stream is ended with the
    /// endpoint's terminal error and settled, so it cannot hold its reservation forever behind keepalives.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>The largest single server-sent event relayed from a provider (16 MiB); past it the stream ends with an error.</summary>
    public int MaxStreamEventBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest accepted upload (multipart audio, image edits; <c>Tollgate:Gateway:MaxUploadBytes</c>, default 25 MiB); past it a 413.</summary>
    public long MaxUploadBytes { get; init; } = 25 * 1024 * 1024;

    /// <summary>
    /// The page bound of an OCR document whose pages cannot be counted before it goes upstream (a URL, a
    /// PDF that does not parse): <c>Tollgate:Gateway:OcrMaxPages</c>, default 1000, the most pages one
    /// OCR request may process.
    /// </summary>
    public long OcrMaxPages { get; init; } = 1000;

    /// <summary>Reads the options from configuration.</summary>
    public static GatewayOptions FromConfiguration(IConfiguration configuration)
    {
        static double Number(IConfiguration c, string key, double fallback) =>
            double.TryParse(c[key], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;

        return new GatewayOptions(
            TimeSpan.FromSeconds(Number(configuration, "Tollgate:Streaming:KeepAliveSeconds", 15)),
            (long)Number(configuration, "Tollgate:Gateway:MaxRequestBytes", 25 * 1024 * 1024),
            TimeSpan.FromSeconds(Number(configuration, "Tollgate:Gateway:UpstreamTimeoutSeconds", 300)),
            MaxAttempts: 3)
        {
            IdleTimeout = TimeSpan.FromSeconds(Number(configuration, "Tollgate:Streaming:IdleTimeoutSeconds", 300)),
            MaxUploadBytes = (long)Number(configuration, "Tollgate:Gateway:MaxUploadBytes", 25 * 1024 * 1024),
            OcrMaxPages = (long)Number(configuration, "Tollgate:Gateway:OcrMaxPages", 1000),
        };
    }
}
