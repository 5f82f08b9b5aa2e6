namespace Tollgate.FakeProviders;

/// <summary>The last <see cref="Capacity"/> requests, newest last.</summary>
internal sealed class RequestLog
{
    public const int Capacity = 200;

    private readonly Queue<RecordedRequest> _entries = new(Capacity);
    private readonly Lock _lock = new();

    public void Add(RecordedRequest request)
    {
        lock (_lock)
        {
            if (_entries.Count == Capacity)
            {
                _entries.Dequeue();
            }

            _entries.Enqueue(request);
        }
    }

    public IReadOnlyList<RecordedRequest> Snapshot()
    {
        lock (_lock)
        {
            return [.. _entries];
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }
}
