using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Endpoints.Responses;

/// <summary>
/// <c>previous_response_id</c> for providers that do not keep conversations: the gateway rebuilds the
/// conversation from what it stored — the earlier request's input items (already expanded when it too
/// continued a conversation), then the earlier response's output items, then the new input — so the
/// provider receives the whole chain as one request. As with OpenAI, the earlier <c>instructions</c> are
/// not carried over; the new request's own instructions apply.
/// </summary>
internal static class ConversationHistory
{
    /// <summary>The error OpenAI answers for an id it does not know (or that belongs to another org).</summary>
    public static GatewayError NotFound(string id) => GatewayError.BadRequest("previous_response_not_found",
        $"Previous response with id '{id}' not found.", "previous_response_id");

    /// <summary>
    /// The request <paramref name="raw"/> with <c>previous_response_id</c> removed and its input preceded by
    /// the stored conversation; or the 400 that says why the stored conversation cannot be continued.
    /// </summary>
    public static (byte[]? Body, GatewayError? Error) Expand(byte[] raw, StoredResponse previous)
    {
        JsonArray items;
        try
        {
            var earlier = JsonNode.Parse(previous.RequestJson) as JsonObject;
            var answer = JsonNode.Parse(previous.ResponseJson) as JsonObject;
            if (earlier is null || answer is null)
            {
                return (null, NotFound(previous.Id));
            }

            if (earlier["previous_response_id"] is not null)
            {
                // Stored before it could be expanded: the chain's start is not known to this gateway.
                return (null, NotFound(earlier["previous_response_id"]!.GetValue<string>()));
            }

            if (answer["status"]?.GetValue<string>() is { } status && status != "completed")
            {
                return (null, GatewayError.BadRequest("invalid_value",
                    $"Previous response with id '{previous.Id}' has status '{status}' and cannot be continued.", "previous_response_id"));
            }

            items = InputItems(earlier["input"]);
            foreach (var item in answer["output"] as JsonArray ?? [])
            {
                items.Add(item?.DeepClone());
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return (null, NotFound(previous.Id));
        }

        var request = JsonNode.Parse(raw)!.AsObject();
        request.Remove("previous_response_id");
        foreach (var item in InputItems(request["input"]))
        {
            items.Add(item?.DeepClone());
        }

        request["input"] = items;
        return (JsonSerializer.SerializeToUtf8Bytes(request), null);
    }

    // A string input is one user message; a list is kept as it is.
    private static JsonArray InputItems(JsonNode? input) => input switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String =>
            [new JsonObject { ["type"] = "message", ["role"] = "user", ["content"] = value.GetValue<string>() }],
        JsonArray list => new JsonArray(list.Select(i => i?.DeepClone()).ToArray()),
        _ => [],
    };
}
