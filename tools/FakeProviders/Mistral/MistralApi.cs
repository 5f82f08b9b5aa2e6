using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders.Mistral;

/// <summary>
/// <c>POST /mistral-ai/v1/chat/completions</c>, Mistral's dialect of Chat Completions: it refuses the
/// fields of OpenAI's request that Mistral's does not define with 422 and a validation
/// <c>detail</c> list (<c>extra_forbidden</c>), as Mistral's API does, and streams the usage in the
/// last chunk (no <c>stream_options</c>). Accepted requests are answered by the OpenAI fake.
/// </summary>
internal static class MistralApi
{
    /// <summary>
    /// The provider segment of the route (<c>/mistral/...</c> stays the lenient OpenAI fake that
    /// other tests use under that name).
    /// </summary>
    public const string Provider = "mistral-ai";

    // The fields of Mistral's chat completion request (its API reference: ChatCompletionRequest).
    private static readonly HashSet<string> Fields = new(StringComparer.Ordinal)
    {
        "model", "messages", "temperature", "top_p", "max_tokens", "min_tokens", "stream", "stop", "random_seed",
        "response_format", "tools", "tool_choice", "presence_penalty", "frequency_penalty", "n", "prediction",
        "parallel_tool_calls", "prompt_mode", "safe_prompt", "metadata",
    };

    private static readonly HashSet<string> ToolChoices = new(StringComparer.Ordinal) { "auto", "none", "any", "required" };

    public static IEndpointRouteBuilder MapMistralApi(this IEndpointRouteBuilder app)
    {
        var chat = app.ServiceProvider.GetRequiredService<ChatCompletionsEndpoint>();
        app.MapPost("/" + Provider + "/v1/chat/completions", async (HttpContext context) =>
        {
            context.Request.EnableBuffering();
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            context.Request.Body.Position = 0;
            if (Refusal(buffer.ToArray()) is { } detail)
            {
                context.Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
                await context.Response.WriteAsJsonAsync(new { @object = "error", detail }, context.RequestAborted);
                return;
            }

            context.Request.RouteValues["provider"] = Provider;
            await chat.HandleAsync(context);
        });
        return app;
    }

    /// <summary>The validation errors Mistral would answer for <paramref name="body"/>, or null.</summary>
    private static object[]? Refusal(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var errors = new List<object>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!Fields.Contains(property.Name))
                {
                    errors.Add(new { type = "extra_forbidden", loc = new[] { "body", property.Name }, msg = "Extra inputs are not permitted" });
                }
                else if (property.Name == "tool_choice" && property.Value.ValueKind == JsonValueKind.String && !ToolChoices.Contains(property.Value.GetString()!))
                {
                    errors.Add(new { type = "enum", loc = new[] { "body", "tool_choice" }, msg = "Input should be 'auto', 'none', 'any' or 'required'" });
                }
            }

            return errors.Count == 0 ? null : [.. errors];
        }
        catch (JsonException)
        {
            return null; // the OpenAI fake words malformed JSON
        }
    }
}
