using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Media;

/// <summary>
/// <c>POST /v1/embeddings</c> as OpenAI answers it: one embedding per input (floats, or base64 of
/// little-endian float32 for <c>encoding_format: base64</c>), <c>dimensions</c> long (8 by default),
/// and <c>usage.prompt_tokens</c> (a word per token, a token array's length) unless <c>omit_usage</c>.
/// </summary>
internal static class FakeEmbeddings
{
    public static async Task<FakeStats.Outcome> AnswerAsync(MediaApi.Call call, JsonElement request)
    {
        if (!request.TryGetProperty("input", out var input))
        {
            await OpenAIError.BadRequest("'input' is a required property", "input", null).WriteAsync(call.Http.Response, call.Aborted);
            return FakeStats.Outcome.Failed;
        }

        var dimensions = request.TryGetProperty("dimensions", out var d) && d.TryGetInt32(out var n) && n > 0 ? Math.Min(n, 4096) : 8;
        var base64 = request.TryGetProperty("encoding_format", out var f) && f.GetString() == "base64";
        var items = new List<int>(); // tokens per input
        if (input.ValueKind == JsonValueKind.String)
        {
            items.Add(MediaApi.Tokens(input.GetString()!));
        }
        else if (input.ValueKind == JsonValueKind.Array && input.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number))
        {
            items.Add(input.GetArrayLength());
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in input.EnumerateArray())
            {
                items.Add(item.ValueKind == JsonValueKind.String ? MediaApi.Tokens(item.GetString()!) : item.GetArrayLength());
            }
        }

        var model = request.TryGetProperty("model", out var m) ? m.GetString() ?? "" : "";
        return await MediaApi.WriteJsonAsync(call, json =>
        {
            json.WriteStartObject();
            json.WriteString("object"u8, "list"u8);
            json.WriteStartArray("data"u8);
            for (var i = 0; i < items.Count; i++)
            {
                json.WriteStartObject();
                json.WriteString("object"u8, "embedding"u8);
                json.WriteNumber("index"u8, i);
                var vector = Enumerable.Range(0, dimensions).Select(k => (float)Math.Round(Math.Sin(i + k + 1), 4)).ToArray();
                if (base64)
                {
                    var bytes = new byte[vector.Length * 4];
                    Buffer.BlockCopy(vector, 0, bytes, 0, bytes.Length);
                    json.WriteString("embedding"u8, Convert.ToBase64String(bytes));
                }
                else
                {
                    json.WriteStartArray("embedding"u8);
                    foreach (var v in vector)
                    {
                        json.WriteNumberValue(v);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("model"u8, model);
            if (!call.Knobs.OmitUsage)
            {
                json.WriteStartObject("usage"u8);
                json.WriteNumber("prompt_tokens"u8, items.Sum());
                json.WriteNumber("total_tokens"u8, items.Sum());
                json.WriteEndObject();
            }

            json.WriteEndObject();
        });
    }
}
