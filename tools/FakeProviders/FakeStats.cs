using System.Collections.Concurrent;
using System.Text.Json;

namespace Tollgate.FakeProviders;

/// <summary>
/// Live counters of provider requests (every endpoint), in total and per provider. Thread-safe.
/// Every request ends in exactly one of <see cref="Completed"/>, <see cref="Cancelled"/> or
/// <see cref="Failed"/>; until then it is only counted in <see cref="Requests"/>.
/// </summary>
public sealed class FakeStats
{
    private readonly ConcurrentDictionary<string, Counters> _byProvider = new(StringComparer.Ordinal);
    private Counters _total = new();

    /// <summary>Requests received.</summary>
    public long Requests => Volatile.Read(ref _total).Requests;

    /// <summary>Responses fully written: a JSON answer, or a whole stream up to its last event.</summary>
    public long Completed => Volatile.Read(ref _total).Completed;

    /// <summary>Requests whose client went away before the end of the response.</summary>
    public long Cancelled => Volatile.Read(ref _total).Cancelled;

    /// <summary>Requests answered with an error status, cut on purpose or failed mid-stream on purpose.</summary>
    public long Failed => Volatile.Read(ref _total).Failed;

    /// <summary>The providers seen since the last reset.</summary>
    public IReadOnlyCollection<string> Providers => [.. _byProvider.Keys];

    /// <summary>Requests received for <paramref name="provider"/>.</summary>
    public long RequestsFor(string provider) => For(provider)?.Requests ?? 0;

    /// <summary>Responses fully written for <paramref name="provider"/>.</summary>
    public long CompletedFor(string provider) => For(provider)?.Completed ?? 0;

    /// <summary>Requests for <paramref name="provider"/> whose client went away.</summary>
    public long CancelledFor(string provider) => For(provider)?.Cancelled ?? 0;

    /// <summary>Requests for <paramref name="provider"/> that failed (error status or deliberate cut).</summary>
    public long FailedFor(string provider) => For(provider)?.Failed ?? 0;

    /// <summary>Sets every counter back to zero.</summary>
    public void Reset()
    {
        Volatile.Write(ref _total, new Counters());
        _byProvider.Clear();
    }

    internal Counters Start(string provider)
    {
        var counters = _byProvider.GetOrAdd(provider, static _ => new Counters());
        Interlocked.Increment(ref counters.Requests);
        Interlocked.Increment(ref Volatile.Read(ref _total).Requests);
        return counters;
    }

    /// <summary>
    /// Runs one answer of <paramref name="provider"/> counted: started now, then completed, failed, or
    /// cancelled when the client left while it was being answered.
    /// </summary>
    internal async Task CountAsync(HttpContext context, string provider, Func<CancellationToken, Task<Outcome>> answer)
    {
        var counters = Start(provider);
        var aborted = context.RequestAborted;
        var outcome = Outcome.Failed;
        try
        {
            outcome = await answer(aborted);
        }
        catch (Exception ex) when (aborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            outcome = Outcome.Cancelled;
        }
        finally
        {
            End(counters, outcome);
        }
    }

    internal void End(Counters provider, Outcome outcome)
    {
        var total = Volatile.Read(ref _total);
        switch (outcome)
        {
            case Outcome.Completed:
                Interlocked.Increment(ref provider.Completed);
                Interlocked.Increment(ref total.Completed);
                break;
            case Outcome.Cancelled:
                Interlocked.Increment(ref provider.Cancelled);
                Interlocked.Increment(ref total.Cancelled);
                break;
            default:
                Interlocked.Increment(ref provider.Failed);
                Interlocked.Increment(ref total.Failed);
                break;
        }
    }

    /// <summary>Writes <c>{"requests":..,"completed":..,"cancelled":..,"failed":..,"providers":{name:{...}}}</c>.</summary>
    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        Volatile.Read(ref _total).WriteProperties(writer);
        writer.WriteStartObject("providers");
        foreach (var (name, counters) in _byProvider)
        {
            writer.WriteStartObject(name);
            counters.WriteProperties(writer);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private Counters? For(string provider) => _byProvider.TryGetValue(provider, out var counters) ? counters : null;

    /// <summary>How a request ended.</summary>
    internal enum Outcome
    {
        /// <summary>The whole response was written.</summary>
        Completed,

        /// <summary>The client went away first.</summary>
        Cancelled,

        /// <summary>An error status or a deliberate cut.</summary>
        Failed,
    }

    /// <summary>One set of counters; fields so that <see cref="Interlocked"/> can work on them.</summary>
    internal sealed class Counters
    {
#pragma warning disable SA1401, CA1051 // Fields on purpose: Interlocked needs refs.
        public long Requests;
        public long Completed;
        public long Cancelled;
        public long Failed;
#pragma warning restore SA1401, CA1051

        public void WriteProperties(Utf8JsonWriter writer)
        {
            writer.WriteNumber("requests", Interlocked.Read(ref Requests));
            writer.WriteNumber("completed", Interlocked.Read(ref Completed));
            writer.WriteNumber("cancelled", Interlocked.Read(ref Cancelled));
            writer.WriteNumber("failed", Interlocked.Read(ref Failed));
        }
    }
}
