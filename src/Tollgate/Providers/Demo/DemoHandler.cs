using System.Net;
using System.Text;
using System.Text.Json;

namespace Tollgate.Providers.Demo;

/// <summary>
/// The built-in demo provider (<c>--demo</c>): answers OpenAI Chat Completions in process with canned
/// text and a usage block, streaming it word by word, so a newcomer can make a first request with no
/// provider account. It goes through the same relay, usage reading and ledger as a real provider.
/// </summary>
internal sealed class DemoHandler : HttpMessageHandler
{
    /// <summary>The demo provider's (never dialled) base URL.</summary>
    public const string BaseUrl = "http://demo.tollgate.invalid/v1";

    private static readonly string[] Words =
        "Hello from Tollgate! This answer comes from the built-in demo provider. Point Tollgate at a real provider with Tollgate:Providers:openai:ApiKey to talk to a model."
        .Split(' ');

    private static readonly TimeSpan WordDelay = TimeSpan.FromMilliseconds(40);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "{}" : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        var model = root.TryGetProperty("model", out var m) ? m.GetString() ?? "echo" : "echo";
        var stream = root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var includeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        var max = MaxTokens(root);
        var words = Words.Take((int)Math.Min(Words.Length, max)).ToArray();
        var promptTokens = Math.Max(1, (Encoding.UTF8.GetByteCount(body) + 3) / 4);
        var usage = new { prompt_tokens = promptTokens, completion_tokens = words.Length, total_tokens = promptTokens + words.Length };
        var id = "chatcmpl-demo" + Guid.NewGuid().ToString("N")[..12];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var finish = words.Length < Words.Length ? "length" : "stop";

        if (!stream)
        {
            var json = JsonSerializer.Serialize(new
            {
                id,
                @object = "chat.completion",
                created,
                model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = string.Join(' ', words) }, finish_reason = finish } },
                usage,
            });
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }

        var pipe = new System.IO.Pipelines.Pipe();
        _ = Task.Run(async () =>
        {
            var writer = pipe.Writer;
            try
            {
                async Task SendAsync(object chunk)
                {
                    await writer.WriteAsync(Encoding.UTF8.GetBytes("data: " + JsonSerializer.Serialize(chunk) + "\n\n"), cancellationToken).ConfigureAwait(false);
                }

                object Chunk(object delta, string? finishReason) => new
                {
                    id,
                    @object = "chat.completion.chunk",
                    created,
                    model,
                    choices = new[] { new { index = 0, delta, finish_reason = finishReason } },
                };

                await SendAsync(Chunk(new { role = "assistant", content = "" }, null)).ConfigureAwait(false);
                for (var i = 0; i < words.Length; i++)
                {
                    await Task.Delay(WordDelay, cancellationToken).ConfigureAwait(false);
                    await SendAsync(Chunk(new { content = (i == 0 ? "" : " ") + words[i] }, null)).ConfigureAwait(false);
                }

                await SendAsync(Chunk(new { }, finish)).ConfigureAwait(false);
                if (includeUsage)
                {
                    await SendAsync(new { id, @object = "chat.completion.chunk", created, model, choices = Array.Empty<object>(), usage }).ConfigureAwait(false);
                }

                await writer.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await writer.CompleteAsync(ex).ConfigureAwait(false);
            }
        }, CancellationToken.None);

        var content = new StreamContent(pipe.Reader.AsStream());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/event-stream");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    private static long MaxTokens(JsonElement root)
    {
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n > 0)
            {
                return n;
            }
        }

        return long.MaxValue;
    }
}
