using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Bedrock;

/// <summary>
/// <c>POST /{provider}/model/{modelId}/converse</c> and <c>/converse-stream</c>, answered the way the
/// Bedrock runtime answers:
/// <code>
///   (1) read and record the body (with the raw path)   (2) verify SigV4   → 403 SignatureDoesNotMatch, ...
///   (3) parse; knobs                                   → 400 ValidationException
///   (4) wait LatencyMs                                 (5) the status knob → the AWS error for it
///   (6) answer: one Converse JSON answer, or the binary event stream: messageStart, blocks
///       (contentBlockStart for tool calls, contentBlockDelta, contentBlockStop), messageStop, metadata
/// </code>
/// The outcome is counted in exactly one place, the <c>finally</c> of <see cref="HandleAsync"/>.
/// </summary>
internal sealed class ConverseEndpoint(FakeOptions options, FakeStats stats, RequestLog log, TimeProvider time)
{
    // Bedrock pads event payloads with a "p" field of varying length; readers must ignore it.
    private const string Padding = "abcdefghijklmnopqrstuvwxyzABCDEFGH";

    private long _nextId;

    public async Task HandleAsync(HttpContext context, bool stream)
    {
        var provider = context.Request.RouteValues["provider"] as string ?? "bedrock";
        await stats.CountAsync(context, provider, aborted => AnswerAsync(context, provider, stream, aborted));
    }

    private async Task<FakeStats.Outcome> AnswerAsync(HttpContext context, string provider, bool stream, CancellationToken aborted)
    {
        var request = context.Request;
        var response = context.Response;

        // :: Step 1: the body and the path as sent (the model id stays percent-encoded), recorded whatever happens next
        var body = await FakeExchange.ReadBodyAsync(request, aborted);
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? string.Empty;
        log.Add(new RecordedRequest(provider, rawTarget, request.Headers.Authorization, Encoding.UTF8.GetString(body), time.GetUtcNow())
        {
            Headers = RecordedRequest.CopyHeaders(request),
        });
        var id = FakeExchange.NewId("bedrock_fake", ref _nextId);
        response.Headers["x-amzn-RequestId"] = id;

        // :: Step 2: SigV4, checked as AWS checks it
        if (SigV4Verifier.Verify(context, body, options.BedrockCredential, time.GetUtcNow()) is { } authError)
        {
            await authError.WriteAsync(response, id, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 3: parse; the knobs are the defaults, then headers, then body directives
        var knobs = FakeExchange.Knobs(options, request);
        var converse = ConverseRequest.Parse(body, ref knobs, out var parseError);
        if (converse is null)
        {
            await parseError!.WriteAsync(response, id, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 4: latency; :: Step 5: the status knob
        if (await FakeExchange.DelayThenStatusAsync(knobs, time, aborted) is { } status)
        {
            await BedrockError.ForStatus(status, knobs.ErrorType).WriteAsync(response, id, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 6: answer
        var answer = new ConverseAnswer(id, converse, knobs);
        if (!stream)
        {
            if (await FakeExchange.WholeAnswerFaultAsync(context, knobs,
                () => BedrockError.ForStatus(500, knobs.ErrorType ?? "InternalServerException").WriteAsync(response, id, aborted)) is { } fault)
            {
                return fault;
            }

            response.ContentType = "application/json";
            using (var json = new Utf8JsonWriter(response.BodyWriter, OpenAIError.WriterOptions))
            {
                answer.WriteJson(json, knobs.OmitUsage);
            }

            return await FakeExchange.FlushAsync(response.BodyWriter, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
        }

        return await StreamAsync(context, answer, knobs, aborted);
    }

    private async Task<FakeStats.Outcome> StreamAsync(HttpContext context, ConverseAnswer answer, FakeKnobs knobs, CancellationToken aborted)
    {
        var response = context.Response;
        var pipe = response.BodyWriter;
        response.ContentType = "application/vnd.amazon.eventstream";
        var cutAt = knobs.CutAfterChunks ?? -1;
        var errorAt = knobs.ErrorAfterChunks ?? -1;
        var corruptAt = knobs.CorruptAfterChunks ?? -1;
        var sent = 0;

        Event(pipe, "messageStart", json => json.WriteString("role"u8, "assistant"u8));
        var blocks = answer.Blocks();
        for (var index = 0; index < blocks.Count; index++)
        {
            var (kind, pieces) = blocks[index];
            if (kind == ConverseAnswer.BlockKind.Tool)
            {
                Event(pipe, "contentBlockStart", json =>
                {
                    json.WriteNumber("contentBlockIndex"u8, index);
                    json.WriteStartObject("start"u8);
                    json.WriteStartObject("toolUse"u8);
                    json.WriteString("toolUseId"u8, answer.ToolUseId);
                    json.WriteString("name"u8, answer.ToolName);
                    json.WriteEndObject();
                    json.WriteEndObject();
                });
            }

            foreach (var piece in pieces)
            {
                if (sent == cutAt)
                {
                    await FakeExchange.FlushAsync(pipe, aborted);
                    return await FakeExchange.CutAsync(context, time);
                }

                if (sent == errorAt)
                {
                    return await FailAsync(pipe, knobs, aborted);
                }

                if (sent == corruptAt)
                {
                    // A delta whose message CRC is wrong, as a damaged connection would deliver it.
                    var damaged = new ArrayBufferWriter<byte>(256);
                    Event(damaged, "contentBlockDelta", json => json.WriteNumber("contentBlockIndex"u8, index));
                    var bytes = damaged.WrittenSpan.ToArray();
                    bytes[^1] ^= 0xFF;
                    pipe.Write(bytes);
                    await FakeExchange.FlushAsync(pipe, aborted);
                    return FakeStats.Outcome.Failed;
                }

                await FakeExchange.DelayAsync(knobs.ChunkDelayMs, time, aborted);
                Event(pipe, "contentBlockDelta", json =>
                {
                    json.WriteNumber("contentBlockIndex"u8, index);
                    json.WriteStartObject("delta"u8);
                    switch (kind)
                    {
                        case ConverseAnswer.BlockKind.Thinking:
                            json.WriteStartObject("reasoningContent"u8);
                            json.WriteString("text"u8, piece);
                            json.WriteEndObject();
                            break;
                        case ConverseAnswer.BlockKind.Tool:
                            json.WriteStartObject("toolUse"u8);
                            json.WriteString("input"u8, piece);
                            json.WriteEndObject();
                            break;
                        default:
                            json.WriteString("text"u8, piece);
                            break;
                    }

                    json.WriteEndObject();
                });
                sent++;
                if (!await FakeExchange.FlushAsync(pipe, aborted))
                {
                    return FakeStats.Outcome.Cancelled;
                }
            }

            if (kind == ConverseAnswer.BlockKind.Thinking)
            {
                Event(pipe, "contentBlockDelta", json =>
                {
                    json.WriteNumber("contentBlockIndex"u8, index);
                    json.WriteStartObject("delta"u8);
                    json.WriteStartObject("reasoningContent"u8);
                    json.WriteString("signature"u8, answer.Signature);
                    json.WriteEndObject();
                    json.WriteEndObject();
                });
            }

            Event(pipe, "contentBlockStop", json => json.WriteNumber("contentBlockIndex"u8, index));
        }

        if (cutAt >= sent)
        {
            await FakeExchange.FlushAsync(pipe, aborted);
            return await FakeExchange.CutAsync(context, time);
        }

        if (errorAt >= sent)
        {
            return await FailAsync(pipe, knobs, aborted);
        }

        Event(pipe, "messageStop", json => json.WriteString("stopReason"u8, answer.StopReason));
        Event(pipe, "metadata", json =>
        {
            if (!knobs.OmitUsage)
            {
                answer.WriteUsage(json);
            }

            json.WriteStartObject("metrics"u8);
            json.WriteNumber("latencyMs"u8, 1);
            json.WriteEndObject();
        });
        return await FakeExchange.FlushAsync(pipe, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    /// <summary>The mid-stream failure: an exception message (<c>modelStreamErrorException</c> unless the knob names another), then the end.</summary>
    private static async Task<FakeStats.Outcome> FailAsync(System.IO.Pipelines.PipeWriter pipe, FakeKnobs knobs, CancellationToken aborted)
    {
        var payload = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(payload, OpenAIError.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("message"u8, "The model failed while streaming (fake).");
            json.WriteEndObject();
        }

        EventStreamWriter.Exception(pipe, knobs.ErrorType ?? "modelStreamErrorException", payload.WrittenSpan);
        await FakeExchange.FlushAsync(pipe, aborted);
        return FakeStats.Outcome.Failed;
    }

    private static void Event(IBufferWriter<byte> output, string type, Action<Utf8JsonWriter> write)
    {
        var payload = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(payload, OpenAIError.WriterOptions))
        {
            json.WriteStartObject();
            write(json);
            json.WriteString("p"u8, Padding);
            json.WriteEndObject();
        }

        EventStreamWriter.Event(output, type, payload.WrittenSpan);
    }
}
