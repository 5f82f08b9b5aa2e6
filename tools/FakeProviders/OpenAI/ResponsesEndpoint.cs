using System.Buffers;
using System.IO.Pipelines;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>
/// <c>POST /{provider}/v1/responses</c> and <c>GET /{provider}/v1/responses/{id}</c>, answered the way
/// api.openai.com answers:
/// <code>
///   (1) read and record the body     (2) check the bearer key        → 401
///   (3) parse once; knobs             → 400 on a bad body
///   (4) wait LatencyMs                (5) the status knob             → error answer
///   (6) answer: the response object, or response.created ... response.completed; store it
/// </code>
/// The outcome is counted in exactly one place, the <c>finally</c> of <see cref="RunAsync"/>.
/// </summary>
internal sealed class ResponsesEndpoint(FakeOptions options, FakeStats stats, RequestLog log, ResponseStore store, TimeProvider time)
{
    private const string FailureMessage = "The model failed to generate a response.";

    private long _nextId;

    /// <summary><c>POST /v1/responses</c>.</summary>
    public Task CreateAsync(HttpContext context) => RunAsync(context, AnswerAsync);

    /// <summary><c>GET /v1/responses/{id}</c>: a stored response, or 404.</summary>
    public Task GetAsync(HttpContext context) => RunAsync(context, RetrieveAsync);

    private async Task RunAsync(HttpContext context, Func<HttpContext, string, CancellationToken, Task<FakeStats.Outcome>> answer)
    {
        var provider = context.Request.RouteValues["provider"] as string ?? "openai";
        await stats.CountAsync(context, provider, aborted => answer(context, provider, aborted));
    }

    private async Task<FakeStats.Outcome> RetrieveAsync(HttpContext context, string provider, CancellationToken aborted)
    {
        FakeExchange.Record(log, context.Request, provider, [], time);
        if (BearerAuth.Check(context.Request.Headers.Authorization, options.RequireApiKey) is { } authError)
        {
            await authError.WriteAsync(context.Response, aborted);
            return FakeStats.Outcome.Failed;
        }

        var id = context.Request.RouteValues["id"] as string ?? string.Empty;
        if (store.Find(id) is not { } stored)
        {
            await new OpenAIError(StatusCodes.Status404NotFound, $"Response with id '{id}' not found.", "invalid_request_error", null, null)
                .WriteAsync(context.Response, aborted);
            return FakeStats.Outcome.Failed;
        }

        context.Response.ContentType = "application/json";
        context.Response.BodyWriter.Write(stored);
        return await FakeExchange.FlushAsync(context.Response.BodyWriter, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    private async Task<FakeStats.Outcome> AnswerAsync(HttpContext context, string provider, CancellationToken aborted)
    {
        var request = context.Request;
        var response = context.Response;

        // :: Step 1: read the whole body; it is recorded whatever happens next
        var body = await FakeExchange.ReadBodyAsync(request, aborted);
        FakeExchange.Record(log, request, provider, body, time);

        // :: Step 2: authenticate
        if (BearerAuth.Check(request.Headers.Authorization, options.RequireApiKey) is { } authError)
        {
            await authError.WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 3: parse once; the knobs are the defaults, then headers, then body directives
        var knobs = FakeKnobs.From(options);
        knobs.ApplyHeaders(request.Headers);
        var parsed = ResponsesRequest.Parse(body, ref knobs, out var parseError);
        if (parsed is null)
        {
            await parseError!.WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 4: latency before anything is sent
        await FakeExchange.DelayAsync(knobs.LatencyMs, time, aborted);

        // :: Step 5: the status knob
        if (knobs.Status is >= 400 and <= 599 and var status)
        {
            await OpenAIError.ForStatus(status, parsed.Model).WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 6: answer
        var answer = new ResponsesAnswer(FakeExchange.NewId("resp_fake", ref _nextId), time.GetUtcNow().ToUnixTimeSeconds(), parsed, knobs);
        response.Headers["x-request-id"] = "req_" + answer.Id["resp_".Length..];
        using var writer = new ResponsesWriter(response.BodyWriter, answer, knobs.OmitUsage);
        return parsed.Stream
            ? await StreamAsync(context, writer, answer, knobs, aborted)
            : await CompleteAsync(context, writer, answer, knobs, aborted);
    }

    private async Task<FakeStats.Outcome> CompleteAsync(
        HttpContext context, ResponsesWriter writer, ResponsesAnswer answer, FakeKnobs knobs, CancellationToken aborted)
    {
        if (knobs.CutAfterChunks is not null)
        {
            // A JSON answer has no events to cut between: the connection drops before any byte.
            context.Abort();
            return FakeStats.Outcome.Failed;
        }

        if (knobs.ErrorAfterChunks is not null)
        {
            // Nor can it fail half-way: the server error the stream would have carried is the answer.
            await OpenAIError.ForStatus(StatusCodes.Status500InternalServerError, answer.Request.Model).WriteAsync(context.Response, aborted);
            return FakeStats.Outcome.Failed;
        }

        var final = writer.Response(ResponsesWriter.State.Done);
        Keep(answer, final);
        context.Response.ContentType = "application/json";
        context.Response.BodyWriter.Write(final);
        return await FakeExchange.FlushAsync(context.Response.BodyWriter, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    private async Task<FakeStats.Outcome> StreamAsync(
        HttpContext context, ResponsesWriter writer, ResponsesAnswer answer, FakeKnobs knobs, CancellationToken aborted)
    {
        var response = context.Response;
        var pipe = response.BodyWriter;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";

        // Content deltas (text or arguments) are counted; the cut and the failure happen before delta number N.
        var cutAt = knobs.CutAfterChunks ?? -1;
        var errorAt = knobs.ErrorAfterChunks ?? -1;
        var sent = 0;

        var inProgress = writer.Response(ResponsesWriter.State.InProgress);
        writer.WriteResponseEvent("response.created"u8, inProgress);
        writer.WriteResponseEvent("response.in_progress"u8, inProgress);
        var index = 0;
        if (answer.ReasoningId is not null)
        {
            writer.WriteItemEvent(index, reasoning: true, done: false);
            writer.WriteItemEvent(index, reasoning: true, done: true);
            index++;
        }

        writer.WriteItemEvent(index, reasoning: false, done: false);
        var isCall = answer.ToolName is not null;
        if (!isCall)
        {
            writer.WritePartEvent(index, done: false);
        }

        if (!await FakeExchange.FlushAsync(pipe, aborted))
        {
            return FakeStats.Outcome.Cancelled;
        }

        var pieces = isCall
            ? FakeExchange.Pieces(answer.Arguments!, ResponsesAnswer.ArgumentPieceLength)
            : [.. Enumerable.Range(0, answer.TextTokens).Select(i => FakeExchange.Token("tok", i))];
        foreach (var piece in pieces)
        {
            if (sent == cutAt)
            {
                return await FakeExchange.CutAsync(context, time);
            }

            if (sent == errorAt)
            {
                return await FailAsync(writer, answer, knobs, pipe, aborted);
            }

            await FakeExchange.DelayAsync(knobs.ChunkDelayMs, time, aborted);
            if (isCall)
            {
                writer.WriteArgumentsDelta(index, piece);
            }
            else
            {
                writer.WriteTextDelta(index, piece);
            }

            sent++;
            if (!await FakeExchange.FlushAsync(pipe, aborted))
            {
                return FakeStats.Outcome.Cancelled;
            }
        }

        // A count past the last delta cuts or fails right before the closing events.
        if (cutAt >= sent)
        {
            return await FakeExchange.CutAsync(context, time);
        }

        if (errorAt >= sent)
        {
            return await FailAsync(writer, answer, knobs, pipe, aborted);
        }

        if (isCall)
        {
            writer.WriteArgumentsDone(index);
        }
        else
        {
            writer.WriteTextDone(index);
            writer.WritePartEvent(index, done: true);
        }

        writer.WriteItemEvent(index, reasoning: false, done: true);
        var final = writer.Response(ResponsesWriter.State.Done);
        Keep(answer, final);
        writer.WriteResponseEvent(answer.Incomplete ? "response.incomplete"u8 : "response.completed"u8, final);
        return await FakeExchange.FlushAsync(pipe, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    /// <summary>
    /// The mid-stream failure: <c>response.failed</c> (status failed, <c>error: {code, message}</c>), or the
    /// bare <c>error</c> event; then the stream ends (HTTP-wise normally).
    /// </summary>
    private async Task<FakeStats.Outcome> FailAsync(ResponsesWriter writer, ResponsesAnswer answer, FakeKnobs knobs, PipeWriter pipe, CancellationToken aborted)
    {
        var error = new OpenAIError(StatusCodes.Status500InternalServerError, FailureMessage, "server_error", null, knobs.ErrorType ?? "server_error");
        if (knobs.ErrorEventOnly)
        {
            writer.WriteErrorEvent(error);
        }
        else
        {
            var failed = writer.Response(ResponsesWriter.State.Failed, error);
            Keep(answer, failed);
            writer.WriteResponseEvent("response.failed"u8, failed);
        }

        await FakeExchange.FlushAsync(pipe, aborted);
        return FakeStats.Outcome.Failed;
    }

    private void Keep(ResponsesAnswer answer, byte[] response)
    {
        if (answer.Request.Store)
        {
            store.Add(answer.Id, response);
        }
    }
}
