using Tollgate.Catalog;

namespace Tollgate.Gateway.Pipeline;

/// <summary>What a stream has used so far, as an exchange reads it from the provider's events.</summary>
internal sealed class UsageMeter
{
    /// <summary>The provider's latest usage report (cumulative where the provider reports in steps).</summary>
    public TokenUsage? Usage { get; set; }

    /// <summary>Bytes of generated content seen: the basis of an estimate when no usage arrives.</summary>
    public long ContentBytes { get; set; }
}
