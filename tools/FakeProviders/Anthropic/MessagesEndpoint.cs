using System.IO.Pipelines;
using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Anthropic;

/// <summary>
/// <c>POST /{provider}/v1/messages</c> and <c>/v1/messages/count_tokens</c>, answered the way
/// api.anthropic.com answers:
/// <code>
///   (1) read and record the body      (2) x-api-key or Bearer key   → 401
///   (3) anthropic-version header       → 400
///   (4) parse once; knobs              → 400 on a bad body
///   (5) wait LatencyMs                 (6) the status knob           → error answer
///   (7) answer: one message object, or message_start, blocks, message_delta, message_stop
/// </code>
/// The outcome is counted in exactly one place, the <c>finally</c> of <see cref="HandleAsync"/>.
/// </summary>
internal sealed class MessagesEndpoint(FakeOptions options, FakeStats stats, RequestLog log, TimeProvider time)
{
    private long _nextId;

    /// <summary><c>POST /v1/messages</c>.</summary>
    public Task HandleAsync(HttpContext context) => RunAsync(context, countTokens: false);

    /// <summary><c>POST /v1/messages/count_tokens</c>: <c>{"input_tokens": N}</c>, the prompt tokens of a Messages answer.</summary>
    public Task CountTokensAsync(HttpContext context) => RunAsync(context, countTokens: true);

    private async Task RunAsync(HttpContext context, bool countTokens)
    {
        var provider = context.Request.RouteValues["provider"] as string ?? "anthropic";
        await stats.CountAsync(context, provider, aborted => AnswerAsync(context, provider, countTokens, aborted));
    }

    private async Task<FakeStats.Outcome> AnswerAsync(HttpContext context, string provider, bool countTokens, CancellationToken aborted)
    {
        var request = context.Request;
        var response = context.Response;

        // :: Step 1: read the whole body; it is recorded whatever happens next
        var body = await FakeExchange.ReadBodyAsync(request, aborted);
        FakeExchange.Record(log, request, provider, body, time);
        var id = FakeExchange.NewId("msg_fake", ref _nextId);
        var requestId = "req_fake" + id["msg_fake".Length..];

        // :: Step 2: authenticate; :: Step 3: the version header the API requires
        if ((AnthropicAuth.Check(request, options.RequireApiKey)
            ?? (string.IsNullOrWhiteSpace(request.Headers["anthropic-version"]) ? AnthropicError.MissingVersion : null)) is { } headerError)
        {
            await headerError.WriteAsync(response, requestId, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 4: parse once; the knobs are the defaults, then headers, then body directives
        var knobs = FakeExchange.Knobs(options, request);
        var messages = MessagesRequest.Parse(body, countTokens, ref knobs, out var parseError);
        if (messages is null)
        {
            await parseError!.WriteAsync(response, requestId, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 5: latency before anything is sent; :: Step 6: the status knob
        if (await FakeExchange.DelayThenStatusAsync(knobs, time, aborted) is { } status)
        {
            await AnthropicError.ForStatus(status, messages.Model).WriteAsync(response, requestId, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 7: answer
        response.Headers["request-id"] = requestId;
        if (countTokens)
        {
            response.ContentType = "application/json";
            using (var json = new Utf8JsonWriter(response.BodyWriter, OpenAIError.WriterOptions))
            {
                json.WriteStartObject();
                json.WriteNumber("input_tokens"u8, messages.PromptTokens);
                json.WriteEndObject();
            }

            return await FakeExchange.FlushAsync(response.BodyWriter, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
        }

        var answer = new MessagesAnswer(id, messages, knobs);
        using var writer = new MessagesWriter(response.BodyWriter, answer, knobs.OmitUsage);
        return messages.Stream
            ? await StreamAsync(context, writer, answer, knobs, aborted)
            : await CompleteAsync(context, writer, knobs, requestId, aborted);
    }

    private async Task<FakeStats.Outcome> CompleteAsync(HttpContext context, MessagesWriter writer, FakeKnobs knobs, string requestId, CancellationToken aborted)
    {
        // The error the stream would have carried is the answer.
        if (await FakeExchange.WholeAnswerFaultAsync(context, knobs, () => AnthropicError.ForType(knobs.ErrorType).WriteAsync(context.Response, requestId, aborted)) is { } fault)
        {
            return fault;
        }

        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter, OpenAIError.WriterOptions))
        {
            writer.WriteMessage(json);
        }

        return await FakeExchange.FlushAsync(context.Response.BodyWriter, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    private async Task<FakeStats.Outcome> StreamAsync(HttpContext context, MessagesWriter writer, MessagesAnswer answer, FakeKnobs knobs, CancellationToken aborted)
    {
        var response = context.Response;
        var pipe = response.BodyWriter;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";

        // Content deltas are counted across blocks; the cut and the error happen before delta number N.
        var cutAt = knobs.CutAfterChunks ?? -1;
        var errorAt = knobs.ErrorAfterChunks ?? -1;
        var sent = 0;

        writer.WriteMessageStart();
        var blocks = Blocks(answer);
        for (var index = 0; index < blocks.Count; index++)
        {
            var (block, pieces) = blocks[index];
            writer.WriteBlockStart(index, block);
            if (index == 0)
            {
                writer.WritePing();
            }

            if (!await FakeExchange.FlushAsync(pipe, aborted))
            {
                return FakeStats.Outcome.Cancelled;
            }

            foreach (var piece in pieces)
            {
                if (sent == cutAt)
                {
                    return await FakeExchange.CutAsync(context, time);
                }

                if (sent == errorAt)
                {
                    return await FailAsync(writer, knobs, pipe, aborted);
                }

                await FakeExchange.DelayAsync(knobs.ChunkDelayMs, time, aborted);
                writer.WriteDelta(index, block, piece);
                sent++;
                if (!await FakeExchange.FlushAsync(pipe, aborted))
                {
                    return FakeStats.Outcome.Cancelled;
                }
            }

            if (block == MessagesBlock.Thinking)
            {
                // The signature arrives just before the thinking block's content_block_stop.
                writer.WriteDelta(index, block, answer.Signature, signature: true);
            }

            writer.WriteBlockStop(index);
        }

        // A count past the last delta cuts or fails right before message_delta.
        if (cutAt >= sent)
        {
            return await FakeExchange.CutAsync(context, time);
        }

        if (errorAt >= sent)
        {
            return await FailAsync(writer, knobs, pipe, aborted);
        }

        writer.WriteMessageDelta();
        writer.WriteMessageStop();
        return await FakeExchange.FlushAsync(pipe, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    /// <summary>The mid-stream failure: <c>event: error</c>, then the stream ends (HTTP-wise normally).</summary>
    private static async Task<FakeStats.Outcome> FailAsync(MessagesWriter writer, FakeKnobs knobs, PipeWriter pipe, CancellationToken aborted)
    {
        writer.WriteError(AnthropicError.ForType(knobs.ErrorType));
        await FakeExchange.FlushAsync(pipe, aborted);
        return FakeStats.Outcome.Failed;
    }

    /// <summary>The blocks of the answer with the text of each delta.</summary>
    private static List<(MessagesBlock Block, List<string> Pieces)> Blocks(MessagesAnswer answer)
    {
        var blocks = new List<(MessagesBlock, List<string>)>(2);
        if (answer.HasThinking)
        {
            blocks.Add((MessagesBlock.Thinking, [.. Enumerable.Range(0, answer.ThinkingTokens).Select(MessagesWriter.ThinkingToken)]));
        }

        blocks.Add(answer.ToolInput is { } input
            ? (MessagesBlock.ToolUse, FakeExchange.Pieces(input, MessagesAnswer.ToolInputPieceLength))
            : (MessagesBlock.Text, [.. Enumerable.Range(0, answer.TextTokens).Select(MessagesWriter.TextToken)]));
        return blocks;
    }
}
