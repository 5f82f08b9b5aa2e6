using System.Text;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>
/// <c>POST /{provider}/v1/chat/completions</c>, answered the way api.openai.com answers:
/// <code>
///   (1) read and record the body     (2) check the bearer key        → 401
///   (3) parse once; knobs             → 400 on a bad body
///   (4) wait LatencyMs                (5) the status knob             → error answer
///   (6) answer: one JSON object, or role chunk, content chunks, finish chunk, [usage chunk], [DONE]
/// </code>
/// The outcome is counted in exactly one place, the <c>finally</c> of <see cref="HandleAsync"/>.
/// </summary>
internal sealed class ChatCompletionsEndpoint(FakeOptions options, FakeStats stats, RequestLog log, TimeProvider time)
{
    private static readonly string IdPrefix = "chatcmpl-fake" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()));

    private long _nextId;

    public async Task HandleAsync(HttpContext context)
    {
        var provider = context.Request.RouteValues["provider"] as string ?? "openai";
        await stats.CountAsync(context, provider, aborted => AnswerAsync(context, provider, aborted));
    }

    private async Task<FakeStats.Outcome> AnswerAsync(HttpContext context, string provider, CancellationToken aborted)
    {
        var request = context.Request;
        var response = context.Response;

        // :: Step 1: read the whole body; it is recorded whatever happens next
        var reader = request.BodyReader;
        var read = await reader.ReadAsync(aborted);
        while (!read.IsCompleted)
        {
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            read = await reader.ReadAsync(aborted);
        }

        var body = read.Buffer;
        var authorization = request.Headers.Authorization;
        log.Add(new RecordedRequest(provider, request.Path.Value ?? string.Empty, authorization, Encoding.UTF8.GetString(body), time.GetUtcNow()));

        // :: Step 2: authenticate
        if (BearerAuth.Check(authorization, options.RequireApiKey) is { } authError)
        {
            reader.AdvanceTo(body.End);
            await authError.WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 3: parse once; the knobs are the defaults, then headers, then body directives
        var knobs = FakeKnobs.From(options);
        knobs.ApplyHeaders(request.Headers);
        var chat = ChatRequest.Parse(body, ref knobs, out var parseError);
        reader.AdvanceTo(body.End);
        if (chat is null)
        {
            await parseError!.WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 4: latency before anything is sent
        await FakeExchange.DelayAsync(knobs.LatencyMs, time, aborted);

        // :: Step 5: the status knob
        if (knobs.Status is >= 400 and <= 599 and var status)
        {
            await OpenAIError.ForStatus(status, chat.Model).WriteAsync(response, aborted);
            return FakeStats.Outcome.Failed;
        }

        // :: Step 6: answer
        var contentTokens = Math.Max(0, knobs.Chunks);
        var finishReason = "stop";
        if (chat.MaxTokens is { } max && max < contentTokens)
        {
            contentTokens = max;
            finishReason = "length";
        }

        var id = string.Concat(IdPrefix, Interlocked.Increment(ref _nextId).ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
        response.Headers["x-request-id"] = id;
        using var writer = new ChatCompletionWriter(response.BodyWriter, id, chat.Model, time.GetUtcNow().ToUnixTimeSeconds());
        return chat.Stream
            ? await StreamAsync(context, writer, chat, knobs, contentTokens, finishReason, provider == Mistral.MistralApi.Provider, aborted)
            : await CompleteAsync(context, writer, chat, knobs, contentTokens, finishReason, aborted);
    }

    private async Task<FakeStats.Outcome> CompleteAsync(
        HttpContext context, ChatCompletionWriter writer, ChatRequest chat, FakeKnobs knobs, int contentTokens, string finishReason, CancellationToken aborted)
    {
        if (knobs.CutAfterChunks is not null)
        {
            // A non-streaming answer has no chunks to cut between: the connection drops before any byte.
            context.Abort();
            return FakeStats.Outcome.Failed;
        }

        context.Response.ContentType = "application/json";
        writer.WriteCompletion(contentTokens, finishReason, knobs.OmitUsage ? null : UsageOf(chat, knobs, contentTokens));
        return await FakeExchange.FlushAsync(context.Response.BodyWriter, aborted)
            ? FakeStats.Outcome.Completed
            : FakeStats.Outcome.Cancelled;
    }

    private async Task<FakeStats.Outcome> StreamAsync(
        HttpContext context, ChatCompletionWriter writer, ChatRequest chat, FakeKnobs knobs, int contentTokens, string finishReason, bool mistral, CancellationToken aborted)
    {
        var response = context.Response;
        var pipe = response.BodyWriter;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";

        // Invariant: "usage": null on every chunk exactly when a usage chunk will close the stream.
        var sendUsage = chat.IncludeUsage && !knobs.OmitUsage;
        var cutAt = knobs.CutAfterChunks is { } cut ? Math.Clamp(cut, 0, contentTokens) : -1;

        writer.WriteRoleChunk(sendUsage);
        if (!await FakeExchange.FlushAsync(pipe, aborted))
        {
            return FakeStats.Outcome.Cancelled;
        }

        for (var i = 0; i < contentTokens; i++)
        {
            if (i == cutAt)
            {
                return await FakeExchange.CutAsync(context, time);
            }

            await FakeExchange.DelayAsync(knobs.ChunkDelayMs, time, aborted);
            writer.WriteContentChunk(i, sendUsage);
            if (!await FakeExchange.FlushAsync(pipe, aborted))
            {
                return FakeStats.Outcome.Cancelled;
            }
        }

        if (cutAt == contentTokens)
        {
            return await FakeExchange.CutAsync(context, time);
        }

        if (mistral)
        {
            // Mistral has no stream_options: its last chunk carries the finish reason and the usage.
            writer.WriteFinishChunkWithUsage(finishReason, UsageOf(chat, knobs, contentTokens));
            writer.WriteDone();
            return await FakeExchange.FlushAsync(pipe, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
        }

        writer.WriteFinishChunk(finishReason, sendUsage);
        if (sendUsage)
        {
            writer.WriteUsageChunk(UsageOf(chat, knobs, contentTokens));
        }

        writer.WriteDone();
        return await FakeExchange.FlushAsync(pipe, aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    private static Usage UsageOf(ChatRequest chat, FakeKnobs knobs, int contentTokens)
    {
        var reasoning = Math.Max(0, knobs.ReasoningTokens);
        return new Usage(
            chat.PromptTokens,
            contentTokens + reasoning,
            Math.Clamp(knobs.CachedTokens, 0, chat.PromptTokens),
            reasoning);
    }
}
