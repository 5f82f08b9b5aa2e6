using System.Text;
using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Media;

/// <summary>
/// The OpenAI media routes (embeddings, speech, transcriptions, image generations and edits) and
/// Mistral OCR, for any provider name in the first path segment. Each request is recorded, checked
/// for a bearer key, and answered after the knobs (<see cref="FakeKnobs"/>: options, <c>x-fake-*</c>
/// headers, <c>fake:</c> directives in the request's text): <c>latency_ms</c>, <c>status</c>,
/// <c>omit_usage</c>, and for speech <c>chunks</c>, <c>chunk_delay_ms</c> and <c>cut_after</c>. Video jobs
/// are <see cref="FakeVideos"/>.
/// </summary>
internal static class MediaApi
{
    public static IEndpointRouteBuilder MapMediaApi(this IEndpointRouteBuilder app)
    {
        var videos = new FakeVideos();
        foreach (var prefix in new[] { "/v1", "/{provider}/v1" })
        {
            app.MapPost(prefix + "/videos", (HttpContext c) => c.Request.HasFormContentType
                ? RunFormAsync(c, videos.CreateFromFormAsync)
                : RunJsonAsync(c, videos.CreateFromJsonAsync));
            app.MapGet(prefix + "/videos", (HttpContext c) => RunReadAsync(c, videos.ListAsync));
            app.MapGet(prefix + "/videos/{id}", (HttpContext c, string id) => RunReadAsync(c, call => videos.RetrieveAsync(call, id)));
            app.MapGet(prefix + "/videos/{id}/content", (HttpContext c, string id) => RunReadAsync(c, call => videos.ContentAsync(call, id)));
            app.MapDelete(prefix + "/videos/{id}", (HttpContext c, string id) => RunReadAsync(c, call => videos.DeleteAsync(call, id)));
            app.MapPost(prefix + "/embeddings", (HttpContext c) => RunJsonAsync(c, FakeEmbeddings.AnswerAsync));
            app.MapPost(prefix + "/audio/speech", (HttpContext c) => RunJsonAsync(c, FakeSpeech.AnswerAsync));
            app.MapPost(prefix + "/images/generations", (HttpContext c) => RunJsonAsync(c, FakeImages.GenerateAsync));
            app.MapPost(prefix + "/ocr", (HttpContext c) => RunJsonAsync(c, FakeOcr.AnswerAsync));
            app.MapPost(prefix + "/audio/transcriptions", (HttpContext c) => RunFormAsync(c, FakeTranscriptions.AnswerAsync));
            app.MapPost(prefix + "/images/edits", (HttpContext c) => RunFormAsync(c, FakeImages.EditAsync));
        }

        return app;
    }

    /// <summary>What one media request carries into its answer.</summary>
    internal sealed record Call(HttpContext Http, string Provider, FakeKnobs Knobs, TimeProvider Time)
    {
        public CancellationToken Aborted => Http.RequestAborted;
    }

    private static Task RunJsonAsync(HttpContext context, Func<Call, JsonElement, Task<FakeStats.Outcome>> answer) =>
        RunAsync(context, async call =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, call.Aborted);
            var text = Encoding.UTF8.GetString(body.ToArray());
            Record(call, text);
            if (await CheckAsync(call) is { } refused)
            {
                return refused;
            }

            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(text);
                root = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                await OpenAIError.InvalidJson.WriteAsync(context.Response, call.Aborted);
                return FakeStats.Outcome.Failed;
            }

            var knobs = call.Knobs;
            knobs.ApplyDirectives(text);
            return await AfterKnobsAsync(call with { Knobs = knobs }, root.TryGetProperty("model", out var m) ? m.GetString() ?? "" : "", c => answer(c, root));
        });

    private static Task RunFormAsync(HttpContext context, Func<Call, IFormCollection, Task<FakeStats.Outcome>> answer) =>
        RunAsync(context, async call =>
        {
            if (!context.Request.HasFormContentType)
            {
                Record(call, "");
                await OpenAIError.BadRequest("Expected a multipart/form-data body.", null, null).WriteAsync(context.Response, call.Aborted);
                return FakeStats.Outcome.Failed;
            }

            var form = await context.Request.ReadFormAsync(call.Aborted);

            // Recorded as one line per field: text fields with their value, files with name, type and size.
            var summary = new StringBuilder();
            foreach (var (name, value) in form)
            {
                summary.Append(name).Append('=').Append(value.ToString()).Append('\n');
            }

            foreach (var file in form.Files)
            {
                summary.Append(file.Name).Append("=@").Append(file.FileName).Append(';').Append(file.ContentType).Append(';').Append(file.Length).Append('\n');
            }

            Record(call, summary.ToString());
            if (await CheckAsync(call) is { } refused)
            {
                return refused;
            }

            var knobs = call.Knobs;
            knobs.ApplyDirectives(form["prompt"].ToString());
            return await AfterKnobsAsync(call with { Knobs = knobs }, form["model"].ToString(), c => answer(c, form));
        });

    /// <summary>A request without a body (a read or a delete): recorded, its key checked, answered.</summary>
    private static Task RunReadAsync(HttpContext context, Func<Call, Task<FakeStats.Outcome>> answer) =>
        RunAsync(context, async call =>
        {
            Record(call, "");
            return await CheckAsync(call) ?? await answer(call);
        });

    private static async Task RunAsync(HttpContext context, Func<Call, Task<FakeStats.Outcome>> run)
    {
        var services = context.RequestServices;
        var provider = context.Request.RouteValues["provider"] as string ?? "openai";
        var stats = services.GetRequiredService<FakeStats>();
        var counters = stats.Start(provider);
        var knobs = FakeKnobs.From(services.GetRequiredService<FakeOptions>());
        knobs.ApplyHeaders(context.Request.Headers);
        var outcome = FakeStats.Outcome.Failed;
        try
        {
            outcome = await run(new Call(context, provider, knobs, services.GetRequiredService<TimeProvider>()));
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            outcome = FakeStats.Outcome.Cancelled;
        }
        finally
        {
            stats.End(counters, outcome);
        }
    }

    private static void Record(Call call, string body)
    {
        var request = call.Http.Request;
        call.Http.RequestServices.GetRequiredService<RequestLog>().Add(new RecordedRequest(
            call.Provider, request.Path.Value ?? "", request.Headers.Authorization, body, call.Time.GetUtcNow())
        {
            Headers = RecordedRequest.CopyHeaders(request),
        });
    }

    private static async Task<FakeStats.Outcome?> CheckAsync(Call call)
    {
        var options = call.Http.RequestServices.GetRequiredService<FakeOptions>();
        if (BearerAuth.Check(call.Http.Request.Headers.Authorization, options.RequireApiKey) is { } authError)
        {
            await authError.WriteAsync(call.Http.Response, call.Aborted);
            return FakeStats.Outcome.Failed;
        }

        return null;
    }

    private static async Task<FakeStats.Outcome> AfterKnobsAsync(Call call, string model, Func<Call, Task<FakeStats.Outcome>> answer)
    {
        await FakeExchange.DelayAsync(call.Knobs.LatencyMs, call.Time, call.Aborted);
        if (call.Knobs.Status is >= 400 and <= 599 and var status)
        {
            await OpenAIError.ForStatus(status, model).WriteAsync(call.Http.Response, call.Aborted);
            return FakeStats.Outcome.Failed;
        }

        return await answer(call);
    }

    /// <summary>Writes a JSON answer built by <paramref name="write"/>.</summary>
    internal static async Task<FakeStats.Outcome> WriteJsonAsync(Call call, Action<Utf8JsonWriter> write)
    {
        call.Http.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(call.Http.Response.BodyWriter, OpenAIError.WriterOptions))
        {
            write(json);
        }

        return await FakeExchange.FlushAsync(call.Http.Response.BodyWriter, call.Aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    /// <summary>The fake's token count of a text: its whitespace-separated words, at least one.</summary>
    internal static int Tokens(string text) => Math.Max(1, text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
}
