using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tollgate.Providers.Mistral;

/// <summary>
/// Mistral's Chat Completions is OpenAI's with differences (its API reference, ChatCompletionRequest):
/// the seed is <c>random_seed</c>, the output limit only <c>max_tokens</c>, there is no
/// <c>stream_options</c> (the usage comes in the last chunk of every stream), and fields it does not
/// define are refused with 422 (<c>extra_forbidden</c>). Its own fields (<c>safe_prompt</c>,
/// <c>random_seed</c>, <c>prompt_mode</c>, <c>tool_choice: "any"</c>) pass as the client sent them.
/// This rewrites an OpenAI-shaped body into that dialect; it runs only for Mistral requests.
/// </summary>
internal static class MistralDialect
{
    /// <summary>OpenAI request fields Mistral's request does not define: dropped rather than refused.</summary>
    private static readonly string[] OpenAIOnly =
    [
        "stream_options", "user", "store", "logit_bias", "logprobs", "top_logprobs", "service_tier", "prompt_cache_key",
        "safety_identifier", "modalities", "audio", "web_search_options", "verbosity", "function_call", "functions",
    ];

    /// <summary>The body of a Chat Completions request as Mistral takes it.</summary>
    public static byte[] Rewrite(byte[] body)
    {
        if (JsonNode.Parse(body) is not JsonObject json)
        {
            return body; // not an object: the provider words the error
        }

        Rename(json, "seed", "random_seed");
        Rename(json, "max_completion_tokens", "max_tokens");
        foreach (var name in OpenAIOnly)
        {
            json.Remove(name);
        }

        return JsonSerializer.SerializeToUtf8Bytes(json);
    }

    /// <summary>Moves <paramref name="from"/> to <paramref name="to"/>; a value already under <paramref name="to"/> wins.</summary>
    private static void Rename(JsonObject json, string from, string to)
    {
        if (!json.TryGetPropertyValue(from, out var value))
        {
            return;
        }

        json.Remove(from);
        if (!json.ContainsKey(to))
        {
            json[to] = value;
        }
    }
}
