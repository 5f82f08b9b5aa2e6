using System.Text;
using System.Text.Json;

namespace Tollgate.Tests.Gateway;

/// <summary>
/// The request every translation test sends, in each client format: a system prompt, a user turn with
/// text and an image, one tool, and an output limit of 200 — so a provider test checks one set-up field by field.
/// </summary>
internal static class TranslationRequests
{
    /// <summary>The image sent (a 1×1 PNG as a data URL).</summary>
    public const string Image = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>The path and JSON body of the request at <paramref name="endpoint"/> (<c>chat</c>, <c>messages</c>, else responses).</summary>
    public static (string Path, string Body) Request(string endpoint, string model, bool stream, string text)
    {
        var parameters = new { type = "object", properties = new { city = new { type = "string" } }, required = new[] { "city" } };
        return endpoint switch
        {
            "chat" => ("v1/chat/completions", JsonSerializer.Serialize(new
            {
                model,
                stream,
                stream_options = stream ? new { include_usage = true } : null,
                max_tokens = 200,
                messages = new object[]
                {
                    new { role = "system", content = "Be brief." },
                    new { role = "user", content = new object[] { new { type = "text", text }, new { type = "image_url", image_url = new { url = Image } } } },
                },
                tools = new[] { new { type = "function", function = new { name = "get_weather", description = "Weather", parameters } } },
            })),
            "messages" => ("v1/messages", JsonSerializer.Serialize(new
            {
                model,
                stream,
                max_tokens = 200,
                system = "Be brief.",
                messages = new object[]
                {
                    new { role = "user", content = new object[] { new { type = "text", text }, new { type = "image", source = new { type = "base64", media_type = "image/png", data = Image["data:image/png;base64,".Length..] } } } },
                },
                tools = new[] { new { name = "get_weather", description = "Weather", input_schema = parameters } },
            })),
            _ => ("v1/responses", JsonSerializer.Serialize(new
            {
                model,
                stream,
                max_output_tokens = 200,
                instructions = "Be brief.",
                input = new object[]
                {
                    new { role = "user", content = new object[] { new { type = "input_text", text }, new { type = "input_image", image_url = Image } } },
                },
                tools = new[] { new { type = "function", name = "get_weather", description = "Weather", parameters } },
            })),
        };
    }

    /// <summary>The path and body of <see cref="Request"/> as JSON content.</summary>
    public static (string Path, StringContent Body) Content(string endpoint, string model, bool stream, string text)
    {
        var (path, body) = Request(endpoint, model, stream, text);
        return (path, new StringContent(body, Encoding.UTF8, "application/json"));
    }

    /// <summary>Sends the request through the gateway with the host's key and reads the whole answer, each within 30 seconds.</summary>
    public static async Task<(HttpResponseMessage Response, string Text)> PostAsync(GatewayTestHost host, string endpoint, string model, bool stream, string text)
    {
        using var client = host.GatewayClient();
        var (path, body) = Content(endpoint, model, stream, text);
        var response = await client.PostAsync(path, body, TestContext.Current.CancellationToken).WaitAsync(Wait, TestContext.Current.CancellationToken);
        return (response, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken).WaitAsync(Wait, TestContext.Current.CancellationToken));
    }
}
