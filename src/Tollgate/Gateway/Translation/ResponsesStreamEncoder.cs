using System.Buffers;
using System.Text.Json;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// Writes internal events as a Responses stream: <c>response.created</c> and <c>response.in_progress</c>,
/// then per block an output item — a message (<c>output_item.added</c>, <c>content_part.added</c>,
/// <c>output_text.delta</c>..., <c>output_text.done</c>, <c>content_part.done</c>, <c>output_item.done</c>),
/// a function call (<c>function_call_arguments.delta</c>... and <c>.done</c>), an image the model made
/// (<c>image_generation_call.in_progress</c>, <c>.generating</c>, <c>.completed</c>), or a reasoning item (its
/// summary as <c>reasoning_summary_part</c> / <c>reasoning_summary_text</c> events) — each event with
/// <c>type</c> and a <c>sequence_number</c> counting from 0. <see cref="Complete"/> finishes open items
/// and writes <c>response.completed</c> (or <c>response.incomplete</c>) with the output and usage.
/// </summary>
internal sealed class ResponsesStreamEncoder : IStreamEncoder
{
    private readonly SseJsonWriter _sse = new();
    private readonly List<(int Block, ResponsesItem Item)> _items = [];
    private readonly string _clientModel;
    private readonly ChatTurn _request;
    private readonly long _createdAt;
    private ResponsesFormat.ResponseHead? _head;
    private string _core = "0";
    private int _sequence;

    /// <summary>An encoder for one client stream.</summary>
    public ResponsesStreamEncoder(string clientModel, ChatTurn request, long createdAt)
    {
        _clientModel = clientModel;
        _request = request;
        _createdAt = createdAt;
    }

    /// <inheritdoc />
    public void Encode(StreamEvent ev, IBufferWriter<byte> output)
    {
        switch (ev)
        {
            case StreamStarted started:
                Start(output, started.Id);
                break;
            case TextStarted text:
                var message = Add(output, text.Index, new ResponsesItem { Kind = ResponsesItem.ItemKind.Message, Id = $"msg_{_core}_{_items.Count}" });
                var json = Begin(output, "response.content_part.added"u8);
                WritePosition(json, message, withContent: true);
                json.WritePropertyName("part"u8);
                ResponsesItem.WriteTextPart(json, string.Empty);
                End();
                break;
            case ThinkingStarted thinking:
                Add(output, thinking.Index, ResponsesItem.ForThinking(null, $"{ReasoningMap.MintedPrefix}{_items.Count}_{_core}"));
                break;
            case ToolCallStarted call:
                Add(output, call.Index, new ResponsesItem { Kind = ResponsesItem.ItemKind.FunctionCall, Id = ResponsesFormat.FunctionItemId(call.CallId), CallId = call.CallId, Name = call.Name });
                break;
            case ImageGenerated image:
                // Whole at once: the item added in progress, its in_progress and generating events, then
                // (in Finish) completed and the item done with the image in "result".
                var generated = Add(output, image.Index, new ResponsesItem { Kind = ResponsesItem.ItemKind.ImageGeneration, Id = $"ig_{_core}_{_items.Count}" });
                json = Begin(output, "response.image_generation_call.in_progress"u8);
                WritePosition(json, generated, withContent: false);
                End();
                json = Begin(output, "response.image_generation_call.generating"u8);
                WritePosition(json, generated, withContent: false);
                End();

                generated.Item.Text.Append(image.Base64Data);
                Finish(output, generated);
                break;
            case TextDelta delta when Find(delta.Index) is { } item:
                item.Item.Text.Append(delta.Text);
                json = Begin(output, "response.output_text.delta"u8);
                WritePosition(json, item, withContent: true);
                json.WriteString("delta"u8, delta.Text);
                json.WriteStartArray("logprobs"u8);
                json.WriteEndArray();
                End();
                break;
            case ThinkingDelta { Text: { Length: > 0 } thought } delta when Find(delta.Index) is { } item:
                if (item.Item.Text.Length == 0)
                {
                    json = Begin(output, "response.reasoning_summary_part.added"u8);
                    WritePosition(json, item, withContent: false);
                    json.WriteNumber("summary_index"u8, 0);
                    WriteSummaryPart(json, string.Empty);
                    End();
                }

                item.Item.Text.Append(thought);
                json = Begin(output, "response.reasoning_summary_text.delta"u8);
                WritePosition(json, item, withContent: false);
                json.WriteNumber("summary_index"u8, 0);
                json.WriteString("delta"u8, thought);
                End();
                break;
            case ThinkingDelta { Signature: { Length: > 0 } signature } delta when Find(delta.Index) is { } item:
                item.Item.Encrypted = ReasoningMap.Unpack(signature)?.Encrypted ?? signature;
                break;
            case ToolArgumentsDelta delta when Find(delta.Index) is { } item:
                item.Item.Text.Append(delta.Json);
                json = Begin(output, "response.function_call_arguments.delta"u8);
                WritePosition(json, item, withContent: false);
                json.WriteString("delta"u8, delta.Json);
                End();
                break;
            case BlockStopped stopped when Find(stopped.Index) is { } item:
                Finish(output, item);
                break;
            default:
                break; // the finish is held for Complete
        }
    }

    /// <inheritdoc />
    public byte[] Complete(StreamFinished finish)
    {
        var output = new ArrayBufferWriter<byte>(2048);
        Start(output, null);
        foreach (var entry in _items)
        {
            if (!entry.Item.Done)
            {
                Finish(output, (entry.Block, _items.IndexOf(entry), entry.Item));
            }
        }

        var incomplete = finish.Reason is StopReason.MaxTokens or StopReason.ContentFilter;
        var json = Begin(output, incomplete ? "response.incomplete"u8 : "response.completed"u8);
        json.WritePropertyName("response"u8);
        ResponsesFormat.WriteResponseObject(json, _head!, Items(), finish.Reason, finish.Usage, done: true);
        End();
        return output.WrittenSpan.ToArray();
    }

    private List<ResponsesItem> Items()
    {
        var items = new List<ResponsesItem>(_items.Count);
        foreach (var (_, item) in _items)
        {
            items.Add(item);
        }

        return items;
    }

    private void Start(IBufferWriter<byte> output, string? providerId)
    {
        if (_head is not null)
        {
            return;
        }

        var id = WireJson.ClientId("resp_", providerId ?? "0");
        _core = id[5..];
        _head = new ResponsesFormat.ResponseHead(id, _clientModel, _createdAt, _request);
        foreach (var type in (ReadOnlySpan<string>)["response.created", "response.in_progress"])
        {
            var json = Begin(output, type == "response.created" ? "response.created"u8 : "response.in_progress"u8);
            json.WritePropertyName("response"u8);
            ResponsesFormat.WriteResponseObject(json, _head, [], StopReason.EndTurn, null, done: false);
            End();
        }
    }

    private (int Block, int Output, ResponsesItem Item) Add(IBufferWriter<byte> output, int block, ResponsesItem item)
    {
        Start(output, null);
        _items.Add((block, item));
        var entry = (block, _items.Count - 1, item);
        var json = Begin(output, "response.output_item.added"u8);
        json.WriteNumber("output_index"u8, entry.Item2);
        json.WritePropertyName("item"u8);
        item.Write(json);
        End();
        return entry;
    }

    private void Finish(IBufferWriter<byte> output, (int Block, int Output, ResponsesItem Item) entry)
    {
        var item = entry.Item;
        if (item.Done)
        {
            return;
        }

        var text = item.Text.ToString();
        Utf8JsonWriter json;
        switch (item.Kind)
        {
            case ResponsesItem.ItemKind.Message:
                json = Begin(output, "response.output_text.done"u8);
                WritePosition(json, entry, withContent: true);
                json.WriteString("text"u8, text);
                json.WriteStartArray("logprobs"u8);
                json.WriteEndArray();
                End();
                json = Begin(output, "response.content_part.done"u8);
                WritePosition(json, entry, withContent: true);
                json.WritePropertyName("part"u8);
                ResponsesItem.WriteTextPart(json, text);
                End();
                break;
            case ResponsesItem.ItemKind.ImageGeneration:
                json = Begin(output, "response.image_generation_call.completed"u8);
                WritePosition(json, entry, withContent: false);
                End();
                break;
            case ResponsesItem.ItemKind.FunctionCall:
                json = Begin(output, "response.function_call_arguments.done"u8);
                WritePosition(json, entry, withContent: false);
                json.WriteString("name"u8, item.Name);
                json.WriteString("arguments"u8, text);
                End();
                break;
            default:
                if (text.Length > 0)
                {
                    json = Begin(output, "response.reasoning_summary_text.done"u8);
                    WritePosition(json, entry, withContent: false);
                    json.WriteNumber("summary_index"u8, 0);
                    json.WriteString("text"u8, text);
                    End();
                    json = Begin(output, "response.reasoning_summary_part.done"u8);
                    WritePosition(json, entry, withContent: false);
                    json.WriteNumber("summary_index"u8, 0);
                    WriteSummaryPart(json, text);
                    End();
                }

                break;
        }

        item.Done = true;
        json = Begin(output, "response.output_item.done"u8);
        json.WriteNumber("output_index"u8, entry.Output);
        json.WritePropertyName("item"u8);
        item.Write(json);
        End();
    }

    private static void WritePosition(Utf8JsonWriter json, (int Block, int Output, ResponsesItem Item) entry, bool withContent)
    {
        json.WriteString("item_id"u8, entry.Item.Id);
        json.WriteNumber("output_index"u8, entry.Output);
        if (withContent)
        {
            json.WriteNumber("content_index"u8, 0);
        }
    }

    private static void WriteSummaryPart(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject("part"u8);
        json.WriteString("type"u8, "summary_text"u8);
        json.WriteString("text"u8, text);
        json.WriteEndObject();
    }

    private (int Block, int Output, ResponsesItem Item)? Find(int block)
    {
        for (var i = _items.Count - 1; i >= 0; i--)
        {
            if (_items[i].Block == block)
            {
                return _items[i].Item.Done ? null : (block, i, _items[i].Item);
            }
        }

        return null;
    }

    private Utf8JsonWriter Begin(IBufferWriter<byte> output, ReadOnlySpan<byte> type)
    {
        var json = _sse.Begin(output, type);
        json.WriteStartObject();
        json.WriteString("type"u8, type);
        return json;
    }

    private void End()
    {
        var json = _sse.Current;
        json.WriteNumber("sequence_number"u8, _sequence++);
        json.WriteEndObject();
        _sse.End();
    }
}
