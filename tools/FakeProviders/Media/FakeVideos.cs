using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Media;

/// <summary>
/// The OpenAI Videos API as asynchronous jobs: <c>POST /v1/videos</c> (JSON or multipart) answers a
/// <c>video</c> object at <c>queued</c>; the job is <c>in_progress</c> from half its run time and then
/// <c>completed</c> (or <c>failed</c>). <c>GET /v1/videos/{id}</c>, <c>GET /v1/videos/{id}/content</c>
/// (a tiny MP4, or a PNG for the thumbnail and spritesheet variants), <c>GET /v1/videos</c> and
/// <c>DELETE /v1/videos/{id}</c> follow it. Knobs, as <c>fake:</c> directives in the prompt:
/// <c>video_ms</c> (run time, default 200), <c>video_outcome=failed</c>, and <c>video_seconds</c> (the
/// seconds the finished video reports, default those asked for). One store per fake app, shared by
/// every provider prefix, so two gateway nodes polling through the same fake see the same job.
/// </summary>
internal sealed class FakeVideos
{
    /// <summary>An MP4 <c>ftyp</c> box: enough for a player to recognise the file type.</summary>
    public static readonly byte[] Mp4 =
    [
        0x00, 0x00, 0x00, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'m', (byte)'p', (byte)'4', (byte)'2',
        0x00, 0x00, 0x00, 0x00, (byte)'m', (byte)'p', (byte)'4', (byte)'2', (byte)'i', (byte)'s', (byte)'o', (byte)'m',
    ];

    private readonly ConcurrentDictionary<string, Job> _jobs = new(StringComparer.Ordinal);

    private sealed record Job(string Id, string Model, string Prompt, string Seconds, string Size, DateTimeOffset CreatedAt, int RunMs, bool Fails, string ReportedSeconds)
    {
        public bool Deleted { get; set; }
    }

    public Task<FakeStats.Outcome> CreateFromJsonAsync(MediaApi.Call call, JsonElement request)
    {
        static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v)
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Number ? v.GetRawText() : null
            : null;
        return CreateAsync(call, Text(request, "model"), Text(request, "prompt"), Text(request, "seconds"), Text(request, "size"));
    }

    public Task<FakeStats.Outcome> CreateFromFormAsync(MediaApi.Call call, IFormCollection form) =>
        CreateAsync(call, NullIfEmpty(form["model"]), NullIfEmpty(form["prompt"]), NullIfEmpty(form["seconds"]), NullIfEmpty(form["size"]));

    private async Task<FakeStats.Outcome> CreateAsync(MediaApi.Call call, string? model, string? prompt, string? seconds, string? size)
    {
        if (string.IsNullOrEmpty(prompt))
        {
            await OpenAIError.BadRequest("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter").WriteAsync(call.Http.Response, call.Aborted);
            return FakeStats.Outcome.Failed;
        }

        seconds ??= "4";
        if (seconds is not ("4" or "8" or "12" or "16" or "20"))
        {
            await OpenAIError.BadRequest($"Invalid value: '{seconds}'. Supported values are: '4', '8', '12', '16', and '20'.", "seconds", "invalid_value").WriteAsync(call.Http.Response, call.Aborted);
            return FakeStats.Outcome.Failed;
        }

        var runMs = Directive(prompt, "video_ms") is { } ms && int.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 200;
        var job = new Job("video_" + Guid.NewGuid().ToString("N"), model ?? "sora-2", prompt, seconds, size ?? "720x1280", call.Time.GetUtcNow(), runMs,
            Directive(prompt, "video_outcome") == "failed", Directive(prompt, "video_seconds") ?? seconds);
        _jobs[job.Id] = job;
        return await MediaApi.WriteJsonAsync(call, json => Write(json, job, call.Time.GetUtcNow()));
    }

    public async Task<FakeStats.Outcome> RetrieveAsync(MediaApi.Call call, string id)
    {
        if (Find(id) is not { } job)
        {
            return await NotFoundAsync(call, id);
        }

        return await MediaApi.WriteJsonAsync(call, json => Write(json, job, call.Time.GetUtcNow()));
    }

    public async Task<FakeStats.Outcome> ContentAsync(MediaApi.Call call, string id)
    {
        if (Find(id) is not { } job)
        {
            return await NotFoundAsync(call, id);
        }

        if (Status(job, call.Time.GetUtcNow()) != "completed")
        {
            await OpenAIError.BadRequest("Video is not ready yet, use GET /v1/videos/{video_id} to check status.", null, null).WriteAsync(call.Http.Response, call.Aborted);
            return FakeStats.Outcome.Failed;
        }

        var variant = call.Http.Request.Query["variant"].ToString();
        var (bytes, type) = variant is "thumbnail" or "spritesheet" ? (Convert.FromBase64String(FakeImages.Png), "image/png") : (Mp4, "video/mp4");
        call.Http.Response.ContentType = type;
        call.Http.Response.ContentLength = bytes.Length;
        await call.Http.Response.Body.WriteAsync(bytes, call.Aborted);
        return FakeStats.Outcome.Completed;
    }

    public async Task<FakeStats.Outcome> DeleteAsync(MediaApi.Call call, string id)
    {
        if (Find(id) is not { } job)
        {
            return await NotFoundAsync(call, id);
        }

        job.Deleted = true;
        return await MediaApi.WriteJsonAsync(call, json =>
        {
            json.WriteStartObject();
            json.WriteString("id"u8, job.Id);
            json.WriteString("object"u8, "video.deleted");
            json.WriteBoolean("deleted"u8, true);
            json.WriteEndObject();
        });
    }

    public Task<FakeStats.Outcome> ListAsync(MediaApi.Call call)
    {
        var now = call.Time.GetUtcNow();
        var jobs = _jobs.Values.Where(j => !j.Deleted).OrderByDescending(j => j.CreatedAt).ToList();
        return MediaApi.WriteJsonAsync(call, json =>
        {
            json.WriteStartObject();
            json.WriteString("object"u8, "list");
            json.WriteStartArray("data"u8);
            foreach (var job in jobs)
            {
                Write(json, job, now);
            }

            json.WriteEndArray();
            WriteNullable(json, "first_id"u8, jobs.FirstOrDefault()?.Id);
            WriteNullable(json, "last_id"u8, jobs.LastOrDefault()?.Id);
            json.WriteBoolean("has_more"u8, false);
            json.WriteEndObject();
        });
    }

    private Job? Find(string id) => _jobs.TryGetValue(id, out var job) && !job.Deleted ? job : null;

    private static async Task<FakeStats.Outcome> NotFoundAsync(MediaApi.Call call, string id)
    {
        await new OpenAIError(StatusCodes.Status404NotFound, $"Video with id '{id}' not found.", "invalid_request_error", null, null).WriteAsync(call.Http.Response, call.Aborted);
        return FakeStats.Outcome.Failed;
    }

    private static string Status(Job job, DateTimeOffset now)
    {
        var elapsed = (now - job.CreatedAt).TotalMilliseconds;
        return elapsed >= job.RunMs ? (job.Fails ? "failed" : "completed") : elapsed >= job.RunMs / 2.0 ? "in_progress" : "queued";
    }

    private static void Write(Utf8JsonWriter json, Job job, DateTimeOffset now)
    {
        var status = Status(job, now);
        var done = status is "completed" or "failed";
        json.WriteStartObject();
        json.WriteString("id"u8, job.Id);
        json.WriteString("object"u8, "video");
        json.WriteString("model"u8, job.Model);
        json.WriteString("status"u8, status);
        json.WriteNumber("progress"u8, done ? 100 : status == "in_progress" ? 50 : 0);
        json.WriteNumber("created_at"u8, job.CreatedAt.ToUnixTimeSeconds());
        if (done)
        {
            var completedAt = job.CreatedAt.AddMilliseconds(job.RunMs);
            json.WriteNumber("completed_at"u8, completedAt.ToUnixTimeSeconds());
            json.WriteNumber("expires_at"u8, completedAt.AddDays(1).ToUnixTimeSeconds());
        }
        else
        {
            json.WriteNull("completed_at"u8);
            json.WriteNull("expires_at"u8);
        }

        if (status == "failed")
        {
            json.WriteStartObject("error"u8);
            json.WriteString("code"u8, "video_generation_failed");
            json.WriteString("message"u8, "Video generation failed.");
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("error"u8);
        }

        json.WriteString("prompt"u8, job.Prompt);
        json.WriteNull("remixed_from_video_id"u8);
        json.WriteString("seconds"u8, status == "completed" ? job.ReportedSeconds : job.Seconds);
        json.WriteString("size"u8, job.Size);
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    /// <summary>The value of a <c>fake:name=value</c> directive in <paramref name="text"/>, or null.</summary>
    private static string? Directive(string text, string name)
    {
        var marker = "fake:" + name + "=";
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var rest = text[(at + marker.Length)..];
        var end = rest.IndexOfAny([' ', '\t', '\r', '\n']);
        return end < 0 ? rest : rest[..end];
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 || string.IsNullOrEmpty(value[0]) ? null : value[0];
}
