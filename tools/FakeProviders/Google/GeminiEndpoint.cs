using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Google;

/// <summary>
/// Gemini <c>generateContent</c> and <c>streamGenerateContent?alt=sse</c>, for AI Studio (key in
/// <c>x-goog-api-key</c>) and Vertex (an OAuth bearer from <see cref="VertexTokenEndpoint"/>):
/// <code>
///   (1) read and record the body   (2) authenticate               → 403 / 400 / 401
///   (3) parse; knobs               → 400 on a bad body            (4) wait LatencyMs
///   (5) the status knob            → Google error                 (6) the safety knob → promptFeedback.blockReason
///   (7) answer: an image alone (responseModalities IMAGE only, <see cref="GeminiImageAnswer"/>); else one GenerateContentResponse (with an
///       image part after the text when TEXT and IMAGE are asked for), or one per part as server-sent events, the last with finishReason
/// </code>
/// Usage: <c>promptTokenCount</c> is the body's bytes / 4 (cached tokens included), <c>cachedContentTokenCount</c>
/// the cached_tokens knob, <c>thoughtsTokenCount</c> the reasoning_tokens knob, <c>candidatesTokenCount</c> the
/// answer's tokens.
/// </summary>
internal sealed class GeminiEndpoint(FakeOptions options, FakeStats stats, RequestLog log, TimeProvider time, VertexTokenEndpoint tokens)
{
    private long _nextId;

    /// <summary>AI Studio.</summary>
    public Task HandleStudioAsync(HttpContext context) =>
        RunAsync(context, context.Request.RouteValues["provider"] as string ?? "google", vertex: false);

    /// <summary>Gemini on Vertex.</summary>
    public Task HandleVertexAsync(HttpContext context) => RunAsync(context, "vertex", vertex: true);

    private Task RunAsync(HttpContext context, string provider, bool vertex) =>
        stats.CountAsync(context, provider, aborted => AnswerAsync(context, provider, vertex, aborted));

    private async Task<FakeStats.Outcome> AnswerAsync(HttpContext context, string provider, bool vertex, CancellationToken aborted)
    {
        var request = context.Request;
        var response = context.Response;

        // :: Step 1
        var body = await FakeExchange.ReadBodyAsync(request, aborted);
        FakeExchange.Record(log, request, provider, body, time);
        var id = FakeExchange.NewId("gen_fake", ref _nextId);

        // :: Step 2
        if (Authenticate(request, vertex) is { } refused)
        {
            await refused.WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        if (GoogleApi.Target(context) is not ({ } model, var method) || method is not ("generateContent" or "streamGenerateContent"))
        {
            await GoogleError.ForStatus(404).WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 3
        var knobs = FakeExchange.Knobs(options, request);
        var gemini = GeminiRequest.Parse(body, ref knobs);
        if (gemini is null)
        {
            await GoogleError.ForStatus(400).WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 4, 5
        if (await FakeExchange.DelayThenStatusAsync(knobs, time, aborted) is { } status)
        {
            await GoogleError.ForStatus(status).WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        if (method == "generateContent" && GeminiImageAnswer.Requested(body))
        {
            return await GeminiImageAnswer.WriteAsync(context, id, model, FakeExchange.TokensOfBytes(body.Length), knobs.OmitUsage, aborted);
        }

        var answer = new GeminiAnswer(id, model, gemini, knobs, FakeExchange.TokensOfBytes(body.Length));
        var stream = method == "streamGenerateContent";
        if (stream && request.Query["alt"] != "sse")
        {
            await new GoogleError(400, "INVALID_ARGUMENT", "The fake answers streams only as server-sent events (alt=sse).").WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        return stream ? await StreamAsync(context, answer, knobs, aborted) : await CompleteAsync(context, answer, knobs, aborted);
    }

    private GoogleError? Authenticate(HttpRequest request, bool vertex)
    {
        if (vertex)
        {
            var authorization = (string?)request.Headers.Authorization;
            return authorization is not null && authorization.StartsWith("Bearer ", StringComparison.Ordinal) && tokens.IsValid(authorization["Bearer ".Length..])
                ? null
                : GoogleError.Unauthenticated;
        }

        var key = ((string?)request.Headers["x-goog-api-key"])?.Trim();
        return string.IsNullOrEmpty(key) ? GoogleError.MissingKey
            : options.RequireApiKey is { } required && key != required ? GoogleError.InvalidKey
            : null;
    }

    private static async Task<FakeStats.Outcome> CompleteAsync(HttpContext context, GeminiAnswer answer, FakeKnobs knobs, CancellationToken aborted)
    {
        if (await FakeExchange.WholeAnswerFaultAsync(context, knobs, () => GoogleError.ForStatus(500).WriteAsync(context.Response, aborted)) is { } fault)
        {
            return fault;
        }

        context.Response.ContentType = "application/json; charset=UTF-8";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, OpenAIError.WriterOptions))
        {
            answer.WriteWhole(json);
        }

        return await FakeExchange.FlushAsync(context.Response.BodyWriter, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    private async Task<FakeStats.Outcome> StreamAsync(HttpContext context, GeminiAnswer answer, FakeKnobs knobs, CancellationToken aborted)
    {
        var response = context.Response;
        var pipe = response.BodyWriter;
        response.ContentType = "text/event-stream";
        var chunks = answer.Chunks();
        var cutAt = knobs.CutAfterChunks ?? -1;
        var errorAt = knobs.ErrorAfterChunks ?? -1;
        for (var i = 0; i < chunks.Count; i++)
        {
            if (i == cutAt)
            {
                return await FakeExchange.CutAsync(context, time);
            }

            if (i == errorAt)
            {
                WriteEvent(pipe, json => GoogleError.ForStatus(500).WriteTo(json));
                await FakeExchange.FlushAsync(pipe, aborted);
                return FakeStats.Outcome.Failed;
            }

            if (i > 0)
            {
                await FakeExchange.DelayAsync(knobs.ChunkDelayMs, time, aborted);
            }

            var (part, last) = (chunks[i], i == chunks.Count - 1);
            WriteEvent(pipe, json => answer.WriteChunk(json, part, last));
            if (!await FakeExchange.FlushAsync(pipe, aborted))
            {
                return FakeStats.Outcome.Cancelled;
            }
        }

        return FakeStats.Outcome.Completed;
    }

    // Google frames each event as "data: {json}" and a CRLF blank line.
    private static void WriteEvent(PipeWriter pipe, Action<Utf8JsonWriter> write)
    {
        pipe.Write("data: "u8);
        using (var json = new Utf8JsonWriter(pipe, OpenAIError.WriterOptions))
        {
            write(json);
        }

        pipe.Write("\r\n\r\n"u8);
    }
}
