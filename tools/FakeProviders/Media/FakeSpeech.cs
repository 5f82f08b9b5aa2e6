using System.Text.Json;

namespace Tollgate.FakeProviders.Media;

/// <summary>
/// <c>POST /v1/audio/speech</c> as OpenAI answers it: binary audio of the asked
/// <c>response_format</c> (its content type), sent in <c>chunks</c> pieces of
/// <see cref="ChunkBytes"/> with <c>chunk_delay_ms</c> between them, chunked transfer encoding (no
/// length); <c>cut_after</c> drops the connection after that many pieces.
/// </summary>
internal static class FakeSpeech
{
    /// <summary>Bytes per piece of audio.</summary>
    public const int ChunkBytes = 4096;

    public static async Task<FakeStats.Outcome> AnswerAsync(MediaApi.Call call, JsonElement request)
    {
        var format = request.TryGetProperty("response_format", out var f) ? f.GetString() ?? "mp3" : "mp3";
        var response = call.Http.Response;
        response.ContentType = format switch
        {
            "opus" => "audio/opus",
            "aac" => "audio/aac",
            "flac" => "audio/flac",
            "wav" => "audio/wav",
            "pcm" => "audio/pcm",
            _ => "audio/mpeg",
        };

        var chunks = Math.Max(1, call.Knobs.Chunks);
        for (var i = 0; i < chunks; i++)
        {
            if (call.Knobs.CutAfterChunks is { } cut && i >= cut)
            {
                call.Http.Abort();
                return FakeStats.Outcome.Failed;
            }

            if (i > 0)
            {
                await FakeExchange.DelayAsync(call.Knobs.ChunkDelayMs, call.Time, call.Aborted);
            }

            var piece = new byte[ChunkBytes];
            piece.AsSpan().Fill((byte)('a' + (i % 26)));
            await response.Body.WriteAsync(piece, call.Aborted);
            await response.Body.FlushAsync(call.Aborted);
        }

        return FakeStats.Outcome.Completed;
    }
}
