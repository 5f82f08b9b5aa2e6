namespace Tollgate.FakeProviders;

/// <summary>One request as the fake received it.</summary>
/// <param name="Provider">The provider segment of the path (<c>openai</c> for <c>/v1/...</c>).</param>
/// <param name="Path">The request path.</param>
/// <param name="Authorization">The <c>Authorization</c> header, if any.</param>
/// <param name="Body">The request body as UTF-8 text.</param>
/// <param name="At">When the request arrived.</param>
public sealed record RecordedRequest(string Provider, string Path, string? Authorization, string Body, DateTimeOffset At);
