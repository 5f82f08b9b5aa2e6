using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

namespace Tollgate.FakeProviders;

/// <summary>The steps every fake endpoint shares: read the body, wait, flush, cut, name things.</summary>
internal static class FakeExchange
{
    /// <summary>
    /// Kestrel's Abort shuts the socket at once and discards output still queued in its transport pipe,
    /// which FlushAsync does not wait for; a pause lets what was flushed reach the client first. The
    /// transport writes on the thread pool, so on a busy machine 50 ms was sometimes too short (a
    /// client then saw fewer events than were flushed).
    /// </summary>
    private static readonly TimeSpan CutGrace = TimeSpan.FromMilliseconds(300);

    /// <summary>Reads the whole request body.</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken aborted)
    {
        var reader = request.BodyReader;
        var read = await reader.ReadAsync(aborted);
        while (!read.IsCompleted)
        {
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            read = await reader.ReadAsync(aborted);
        }

        var body = read.Buffer.ToArray();
        reader.AdvanceTo(read.Buffer.End);
        return body;
    }

    /// <summary>Records <paramref name="body"/> with every request header.</summary>
    public static void Record(RequestLog log, HttpRequest request, string provider, byte[] body, TimeProvider time) =>
        log.Add(new RecordedRequest(provider, request.Path.Value ?? string.Empty, request.Headers.Authorization, Encoding.UTF8.GetString(body), time.GetUtcNow())
        {
            Headers = RecordedRequest.CopyHeaders(request),
        });

    public static Task DelayAsync(int milliseconds, TimeProvider time, CancellationToken aborted) =>
        milliseconds > 0 ? Task.Delay(TimeSpan.FromMilliseconds(milliseconds), time, aborted) : Task.CompletedTask;

    /// <summary>The knobs of one request: the server's defaults, then the request's headers (body directives come with its parse).</summary>
    public static FakeKnobs Knobs(FakeOptions options, HttpRequest request)
    {
        var knobs = FakeKnobs.From(options);
        knobs.ApplyHeaders(request.Headers);
        return knobs;
    }

    /// <summary>The knob steps before any answer: waits latency_ms, then returns the status knob's error status, or null to answer.</summary>
    public static async Task<int?> DelayThenStatusAsync(FakeKnobs knobs, TimeProvider time, CancellationToken aborted)
    {
        await DelayAsync(knobs.LatencyMs, time, aborted);
        return knobs.Status is >= 400 and <= 599 and var status ? status : null;
    }

    /// <summary>
    /// The stream's failure knobs on a whole (non-streamed) answer, which has no events to fail between:
    /// cut_after drops the connection before any byte; error_after answers with the error <paramref name="writeError"/>
    /// writes. Returns the outcome when a knob decided it, or null to answer.
    /// </summary>
    public static async Task<FakeStats.Outcome?> WholeAnswerFaultAsync(HttpContext context, FakeKnobs knobs, Func<Task> writeError)
    {
        if (knobs.CutAfterChunks is not null)
        {
            context.Abort();
            return FakeStats.Outcome.Failed;
        }

        if (knobs.ErrorAfterChunks is not null)
        {
            await writeError();
            return FakeStats.Outcome.Failed;
        }

        return null;
    }

    /// <summary>False when the client is gone (the pipe's reader completed or the flush was cancelled).</summary>
    public static async ValueTask<bool> FlushAsync(PipeWriter pipe, CancellationToken aborted)
    {
        var result = await pipe.FlushAsync(aborted);
        return !result.IsCanceled && !result.IsCompleted;
    }

    /// <summary>Drops the connection mid-answer: nothing after what was flushed, no terminating HTTP chunk.</summary>
    public static async Task<FakeStats.Outcome> CutAsync(HttpContext context, TimeProvider time)
    {
        await Task.Delay(CutGrace, time, CancellationToken.None);
        context.Abort();
        return FakeStats.Outcome.Failed;
    }

    /// <summary><paramref name="prefix"/> followed by a process-unique, increasing hex number.</summary>
    public static string NewId(string prefix, ref long counter) =>
        string.Concat(prefix, Interlocked.Increment(ref counter).ToString("x12", CultureInfo.InvariantCulture));

    /// <summary><c>"{word}0 {word}1 ... "</c>: the deterministic text of <paramref name="count"/> tokens.</summary>
    public static string Tokens(string word, int count)
    {
        var text = new StringBuilder(count * (word.Length + 3));
        for (var i = 0; i < count; i++)
        {
            text.Append(word).Append(i.ToString(CultureInfo.InvariantCulture)).Append(' ');
        }

        return text.ToString();
    }

    /// <summary>Token <paramref name="index"/> of <see cref="Tokens"/>.</summary>
    public static string Token(string word, int index) => string.Concat(word, index.ToString(CultureInfo.InvariantCulture), " ");

    /// <summary>max(1, ceil(<paramref name="bytes"/> / 4)): the fake's tokenizer.</summary>
    public static int TokensOfBytes(long bytes) => (int)Math.Clamp((bytes + 3) / 4, 1, int.MaxValue);

    /// <summary>Splits <paramref name="text"/> into pieces of at most <paramref name="size"/> characters.</summary>
    public static List<string> Pieces(string text, int size)
    {
        var pieces = new List<string>((text.Length / size) + 1);
        for (var at = 0; at < text.Length; at += size)
        {
            pieces.Add(text.Substring(at, Math.Min(size, text.Length - at)));
        }

        return pieces;
    }
}
