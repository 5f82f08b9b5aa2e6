namespace Tollgate.FakeProviders;

/// <summary>One request as the fake received it.</summary>
/// <param name="Provider">The provider segment of the path (<c>openai</c> for <c>/v1/...</c>, <c>anthropic</c> for <c>/v1/messages</c>).</param>
/// <param name="Path">The request path.</param>
/// <param name="Authorization">The <c>Authorization</c> header, if any.</param>
/// <param name="Body">The request body as UTF-8 text.</param>
/// <param name="At">When the request arrived.</param>
public sealed record RecordedRequest(string Provider, string Path, string? Authorization, string Body, DateTimeOffset At)
{
    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>(0);

    /// <summary>
    /// Every request header, names in lower case (Anthropic and Responses requests only: the chat path stays
    /// a lean load-test baseline and records none).
    /// </summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = NoHeaders;

    /// <summary>The value of header <paramref name="name"/>, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;

    /// <summary>Copies the headers of <paramref name="request"/>.</summary>
    internal static Dictionary<string, string> CopyHeaders(HttpRequest request)
    {
        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.Ordinal);
        foreach (var (name, value) in request.Headers)
        {
            headers[name.ToLowerInvariant()] = value.ToString();
        }

        return headers;
    }
}
