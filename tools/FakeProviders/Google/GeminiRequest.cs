using System.Text.Json;

namespace Tollgate.FakeProviders.Google;

/// <summary>What the fake needs of a Gemini request: the tools, how they may be called, the output limit, thinking.</summary>
internal sealed class GeminiRequest
{
    /// <summary>Declared functions and their parameter schemas, in order.</summary>
    public List<(string Name, JsonElement Schema)> Functions { get; } = [];

    /// <summary><c>toolConfig.functionCallingConfig.mode</c>.</summary>
    public string? Mode { get; private set; }

    /// <summary><c>allowedFunctionNames</c>.</summary>
    public List<string> Allowed { get; } = [];

    /// <summary><c>generationConfig.maxOutputTokens</c>.</summary>
    public int? MaxOutputTokens { get; private set; }

    /// <summary><c>generationConfig.thinkingConfig.includeThoughts</c>.</summary>
    public bool IncludeThoughts { get; private set; }

    /// <summary><c>generationConfig.responseModalities</c> names both <c>TEXT</c> and <c>IMAGE</c>: the answer holds text and an image.</summary>
    public bool TextAndImage { get; private set; }

    /// <summary>
    /// Parses a body; null when it is not a Gemini request (no <c>contents</c> array). Directives in the
    /// last user turn's text apply to <paramref name="knobs"/>.
    /// </summary>
    public static GeminiRequest? Parse(byte[] body, ref FakeKnobs knobs)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }

        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("contents", out var contents) || contents.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        JsonElement? lastUser = null;
        foreach (var content in contents.EnumerateArray())
        {
            if (content.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String && role.GetString() == "user")
            {
                lastUser = content;
            }
        }

        if (lastUser is { } user && user.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in parts.EnumerateArray())
            {
                if (part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    knobs.ApplyDirectives(text.GetString());
                }
            }
        }

        var request = new GeminiRequest();
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            foreach (var tool in tools.EnumerateArray())
            {
                if (tool.TryGetProperty("functionDeclarations", out var declarations) && declarations.ValueKind == JsonValueKind.Array)
                {
                    foreach (var declaration in declarations.EnumerateArray())
                    {
                        var schema = declaration.TryGetProperty("parametersJsonSchema", out var s) ? s
                            : declaration.TryGetProperty("parameters", out var p) ? p : default;
                        request.Functions.Add((declaration.GetProperty("name").GetString() ?? string.Empty, schema));
                    }
                }
            }
        }

        if (root.TryGetProperty("toolConfig", out var toolConfig) && toolConfig.TryGetProperty("functionCallingConfig", out var calling))
        {
            request.Mode = calling.TryGetProperty("mode", out var mode) ? mode.GetString() : null;
            if (calling.TryGetProperty("allowedFunctionNames", out var allowed) && allowed.ValueKind == JsonValueKind.Array)
            {
                request.Allowed.AddRange(allowed.EnumerateArray().Select(a => a.GetString() ?? string.Empty));
            }
        }

        if (root.TryGetProperty("generationConfig", out var generation) && generation.ValueKind == JsonValueKind.Object)
        {
            if (generation.TryGetProperty("maxOutputTokens", out var max) && max.ValueKind == JsonValueKind.Number)
            {
                request.MaxOutputTokens = max.GetInt32();
            }

            request.IncludeThoughts = generation.TryGetProperty("thinkingConfig", out var thinking)
                && thinking.TryGetProperty("includeThoughts", out var include) && include.ValueKind == JsonValueKind.True;
            var modalities = Modalities(generation);
            request.TextAndImage = modalities.Contains("TEXT") && modalities.Contains("IMAGE");
        }

        return request;
    }

    /// <summary>The names in <c>generationConfig.responseModalities</c>.</summary>
    public static HashSet<string> Modalities(JsonElement generationConfig) =>
        generationConfig.TryGetProperty("responseModalities", out var modalities) && modalities.ValueKind == JsonValueKind.Array
            ? modalities.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.String).Select(m => m.GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];

    /// <summary>The function to call, when the answer is a call: a named or allowed one, else the first, when a call is asked for.</summary>
    public (string Name, JsonElement Schema)? CallFor(FakeKnobs knobs)
    {
        if (Functions.Count == 0 || Mode == "NONE")
        {
            return null;
        }

        var wanted = Allowed.FirstOrDefault() ?? knobs.ToolName;
        if (wanted is not null && Functions.FindIndex(f => f.Name == wanted) is >= 0 and var at)
        {
            return Functions[at];
        }

        return knobs.ToolCall || Mode == "ANY" ? Functions[0] : null;
    }
}
