using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Gateway.Pipeline;

/// <summary>What one request carries through its attempts.</summary>
internal sealed class GatewayCall(
    HttpContext http, IGatewayEndpoint endpoint, KeyIdentity identity, IGatewayRequest request, string requestId,
    long requestBytes, Reservation reservation, SseResponse? stream)
{
    public HttpContext Http { get; } = http;
    public IGatewayEndpoint Endpoint { get; } = endpoint;
    public KeyIdentity Identity { get; } = identity;
    public IGatewayRequest Request { get; } = request;
    public string RequestId { get; } = requestId;
    public long RequestBytes { get; } = requestBytes;
    public Reservation Reservation { get; } = reservation;
    public SseResponse? Stream { get; } = stream;

    /// <summary>The provider of the attempt in progress (the one that answered, once the request is over).</summary>
    public string Provider { get; set; } = "";

    /// <summary>Upstream content reached the client: from here on, no fallback.</summary>
    public bool ContentRelayed { get; set; }
}

/// <summary>How one attempt ended, filled in as it goes.</summary>
internal sealed class AttemptResult(DateTimeOffset startedAt, long startedTimestamp)
{
    public DateTimeOffset StartedAt { get; } = startedAt;
    public long StartedTimestamp { get; } = startedTimestamp;
    public LedgerStatus Status { get; set; } = LedgerStatus.Failed;
    public int HttpStatus { get; set; }
    public TokenUsage? Usage { get; set; }

    /// <summary>For a unit-billed request: what the provider's answer says was used.</summary>
    public UnitUsage? Units { get; set; }
    public long ContentBytes { get; set; }

    /// <summary>The provider accepted a job charged when it ends (see <see cref="UpstreamAnswer.Deferred"/>).</summary>
    public DeferredCharge? Deferred { get; set; }
    public string? Error { get; set; }
    public bool TryNext { get; set; }

    /// <summary>The provider answered with headers.</summary>
    public bool HeadersReceived { get; set; }

    /// <summary>
    /// The prompt may have reached the provider, which may then have processed it (and bill it): the
    /// request was sent, and the provider neither refused it nor was unreachable.
    /// </summary>
    public bool PromptSent { get; set; }

    /// <summary>The last bytes for the client, sent only after the attempt is settled.</summary>
    public Tail? Tail { get; set; }

    /// <summary>Why the attempt failed, for the client: rendered in the endpoint's format after settling.</summary>
    public GatewayError? Failure { get; private set; }

    public void SetFailure(GatewayError error) => Failure = error;
}

/// <summary>
/// The end of an answer, held back until the attempt is settled: a plain body with its status (also
/// used for a stream that has sent nothing yet), and the final stream events for a committed stream.
/// </summary>
internal sealed record Tail(int Status, string? ContentType, byte[]? Body, ReadOnlyMemory<byte> StreamBytes);
