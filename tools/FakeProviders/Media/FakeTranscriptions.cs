using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Media;

/// <summary>
/// <c>POST /v1/audio/transcriptions</c> as OpenAI answers it, in each <c>response_format</c>: json
/// (<c>text</c> and <c>usage</c>), verbose_json (with <c>duration</c>, <c>segments</c>), text, srt and
/// vtt (plain text, no usage). The duration is a WAV file's (byte rate and data size), else 1 second.
/// A model whose name has <c>transcribe</c> reports token usage (10 audio tokens a second in, a token
/// per word out), any other duration usage; <c>omit_usage</c> leaves usage out. With <c>stream=true</c>
/// the transcript comes as <c>transcript.text.delta</c> events and a closing <c>transcript.text.done</c>.
/// </summary>
internal static class FakeTranscriptions
{
    /// <summary>What the fake hears.</summary>
    public const string Transcript = "Hello from the fake transcription.";

    public static async Task<FakeStats.Outcome> AnswerAsync(MediaApi.Call call, IFormCollection form)
    {
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
        {
            await OpenAIError.BadRequest("Missing required parameter: 'file'.", "file", "missing_required_parameter").WriteAsync(call.Http.Response, call.Aborted);
            return FakeStats.Outcome.Failed;
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, call.Aborted);
        var seconds = WavSeconds(buffer.ToArray()) ?? 1.0;
        var model = form["model"].ToString();
        var format = form["response_format"].ToString() is { Length: > 0 } f ? f : "json";
        var end = TimeSpan.FromSeconds(seconds);
        if (form["stream"].ToString() == "true")
        {
            return await StreamAsync(call, model, seconds);
        }

        switch (format)
        {
            case "text":
                return await PlainAsync(call, Transcript + "\n");
            case "srt":
                return await PlainAsync(call, $"1\n00:00:00,000 --> {end:hh\\:mm\\:ss\\,fff}\n{Transcript}\n\n");
            case "vtt":
                return await PlainAsync(call, $"WEBVTT\n\n00:00:00.000 --> {end:hh\\:mm\\:ss\\.fff}\n{Transcript}\n\n");
        }

        var tokens = model.Contains("transcribe", StringComparison.Ordinal);
        return await MediaApi.WriteJsonAsync(call, json =>
        {
            json.WriteStartObject();
            if (format == "verbose_json")
            {
                json.WriteString("task"u8, "transcribe"u8);
                json.WriteString("language"u8, "english"u8);
                json.WriteNumber("duration"u8, seconds);
            }

            json.WriteString("text"u8, Transcript);
            if (format == "verbose_json")
            {
                json.WriteStartArray("segments"u8);
                json.WriteStartObject();
                json.WriteNumber("id"u8, 0);
                json.WriteNumber("seek"u8, 0);
                json.WriteNumber("start"u8, 0.0);
                json.WriteNumber("end"u8, seconds);
                json.WriteString("text"u8, Transcript);
                json.WriteStartArray("tokens"u8);
                json.WriteNumberValue(50364);
                json.WriteEndArray();
                json.WriteNumber("temperature"u8, 0.0);
                json.WriteNumber("avg_logprob"u8, -0.2);
                json.WriteNumber("compression_ratio"u8, 1.0);
                json.WriteNumber("no_speech_prob"u8, 0.01);
                json.WriteEndObject();
                json.WriteEndArray();
            }

            if (!call.Knobs.OmitUsage)
            {
                WriteUsage(json, tokens, seconds);
            }

            json.WriteEndObject();
        });
    }

    /// <summary>
    /// <c>stream=true</c>: one <c>transcript.text.delta</c> per word (<c>chunk_delay_ms</c> apart;
    /// <c>cut_after</c> drops the connection after that many), then <c>transcript.text.done</c> with the
    /// text and the usage the JSON answer would carry (unless <c>omit_usage</c>); <c>error_after</c> sends an
    /// <c>error</c> event instead of the rest.
    /// </summary>
    private static async Task<FakeStats.Outcome> StreamAsync(MediaApi.Call call, string model, double seconds)
    {
        var response = call.Http.Response;
        response.ContentType = "text/event-stream";
        var words = Transcript.Split(' ');
        using var json = new System.Text.Json.Utf8JsonWriter(response.BodyWriter, OpenAIError.WriterOptions);
        void Event(Action<System.Text.Json.Utf8JsonWriter> write)
        {
            response.BodyWriter.Write("data: "u8);
            json.Reset(response.BodyWriter);
            write(json);
            json.Flush();
            response.BodyWriter.Write("\n\n"u8);
        }

        for (var i = 0; i < words.Length; i++)
        {
            if (call.Knobs.CutAfterChunks is { } cut && i >= cut)
            {
                call.Http.Abort();
                return FakeStats.Outcome.Cancelled;
            }

            if (call.Knobs.ErrorAfterChunks is { } failAt && i >= failAt)
            {
                Event(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("type"u8, "error"u8);
                    w.WriteStartObject("error"u8);
                    w.WriteString("type"u8, "server_error"u8);
                    w.WriteString("message"u8, "The fake transcription failed."u8);
                    w.WriteEndObject();
                    w.WriteEndObject();
                });
                await FakeExchange.FlushAsync(response.BodyWriter, call.Aborted);
                return FakeStats.Outcome.Failed;
            }

            var delta = i == 0 ? words[i] : " " + words[i];
            Event(w =>
            {
                w.WriteStartObject();
                w.WriteString("type"u8, "transcript.text.delta"u8);
                w.WriteString("delta"u8, delta);
                w.WriteEndObject();
            });
            if (!await FakeExchange.FlushAsync(response.BodyWriter, call.Aborted))
            {
                return FakeStats.Outcome.Cancelled;
            }

            await FakeExchange.DelayAsync(call.Knobs.ChunkDelayMs, call.Time, call.Aborted);
        }

        Event(w =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "transcript.text.done"u8);
            w.WriteString("text"u8, Transcript);
            if (!call.Knobs.OmitUsage)
            {
                WriteUsage(w, model.Contains("transcribe", StringComparison.Ordinal), seconds);
            }

            w.WriteEndObject();
        });
        return await FakeExchange.FlushAsync(response.BodyWriter, call.Aborted) ? FakeStats.Outcome.Completed : FakeStats.Outcome.Cancelled;
    }

    /// <summary>
    /// The <c>usage</c> of a transcription, in the JSON answer and the stream's done event alike: by token
    /// (a <c>transcribe</c> model: ten audio tokens a second, the transcript's output tokens), else the
    /// seconds of audio, rounded up.
    /// </summary>
    private static void WriteUsage(System.Text.Json.Utf8JsonWriter json, bool tokens, double seconds)
    {
        json.WriteStartObject("usage"u8);
        if (tokens)
        {
            var audio = (int)Math.Ceiling(seconds * 10);
            var output = MediaApi.Tokens(Transcript);
            json.WriteString("type"u8, "tokens"u8);
            json.WriteNumber("input_tokens"u8, audio);
            json.WriteStartObject("input_token_details"u8);
            json.WriteNumber("text_tokens"u8, 0);
            json.WriteNumber("audio_tokens"u8, audio);
            json.WriteEndObject();
            json.WriteNumber("output_tokens"u8, output);
            json.WriteNumber("total_tokens"u8, audio + output);
        }
        else
        {
            json.WriteString("type"u8, "duration"u8);
            json.WriteNumber("seconds"u8, Math.Ceiling(seconds));
        }

        json.WriteEndObject();
    }

    private static async Task<FakeStats.Outcome> PlainAsync(MediaApi.Call call, string text)
    {
        call.Http.Response.ContentType = "text/plain; charset=utf-8";
        await call.Http.Response.WriteAsync(text, call.Aborted);
        return FakeStats.Outcome.Completed;
    }

    private static double? WavSeconds(byte[] file)
    {
        if (file.Length < 44 || !file.AsSpan().StartsWith("RIFF"u8) || !file.AsSpan(8).StartsWith("WAVE"u8))
        {
            return null;
        }

        var byteRate = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(28, 4));
        var data = file.AsSpan().IndexOf("data"u8);
        return byteRate == 0 || data < 0 ? null : (double)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(data + 4, 4)) / byteRate;
    }
}
