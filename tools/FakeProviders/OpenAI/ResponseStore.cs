using System.Collections.Concurrent;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>
/// The responses created with <c>store</c> (the default), as the JSON of their final object, for
/// <c>GET /v1/responses/{id}</c>. Holds the last <see cref="Capacity"/>.
/// </summary>
internal sealed class ResponseStore
{
    public const int Capacity = 1000;

    private readonly ConcurrentDictionary<string, byte[]> _responses = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public void Add(string id, byte[] response)
    {
        _responses[id] = response;
        _order.Enqueue(id);
        while (_order.Count > Capacity && _order.TryDequeue(out var oldest))
        {
            _responses.TryRemove(oldest, out _);
        }
    }

    public byte[]? Find(string id) => _responses.TryGetValue(id, out var response) ? response : null;
}
