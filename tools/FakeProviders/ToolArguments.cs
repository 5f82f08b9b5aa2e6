using System.Buffers;
using System.Text;
using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders;

/// <summary>
/// Deterministic arguments that satisfy a tool's JSON schema: every listed property, strings
/// <c>"fake"</c> (or the first <c>enum</c> value, or <c>const</c>), integers and numbers 1, booleans true,
/// arrays of one item, the first branch of <c>anyOf</c>/<c>oneOf</c>. No schema gives <c>{}</c>.
/// </summary>
internal static class ToolArguments
{
    private const int MaxDepth = 16;

    /// <summary>The arguments as compact JSON text.</summary>
    public static string For(JsonElement schema)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer, OpenAIError.WriterOptions))
        {
            if (schema.ValueKind == JsonValueKind.Object)
            {
                WriteValue(json, schema, 0);
            }
            else
            {
                json.WriteStartObject();
                json.WriteEndObject();
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteValue(Utf8JsonWriter json, JsonElement schema, int depth)
    {
        if (schema.ValueKind != JsonValueKind.Object || depth > MaxDepth)
        {
            json.WriteNullValue();
            return;
        }

        if (schema.TryGetProperty("const"u8, out var constant))
        {
            constant.WriteTo(json);
            return;
        }

        if (schema.TryGetProperty("enum"u8, out var values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0)
        {
            values[0].WriteTo(json);
            return;
        }

        foreach (var branches in (ReadOnlySpan<string>)["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(branches, out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0)
            {
                WriteValue(json, list[0], depth + 1);
                return;
            }
        }

        switch (TypeOf(schema))
        {
            case "string":
                json.WriteStringValue("fake"u8);
                break;
            case "integer":
            case "number":
                json.WriteNumberValue(1);
                break;
            case "boolean":
                json.WriteBooleanValue(true);
                break;
            case "null":
                json.WriteNullValue();
                break;
            case "array":
                json.WriteStartArray();
                if (schema.TryGetProperty("items"u8, out var items))
                {
                    WriteValue(json, items, depth + 1);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStartObject();
                if (schema.TryGetProperty("properties"u8, out var properties) && properties.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in properties.EnumerateObject())
                    {
                        json.WritePropertyName(property.Name);
                        WriteValue(json, property.Value, depth + 1);
                    }
                }

                json.WriteEndObject();
                break;
        }
    }

    /// <summary>The schema's <c>type</c>; of a list of types, the first that is not <c>null</c>.</summary>
    private static string? TypeOf(JsonElement schema)
    {
        if (!schema.TryGetProperty("type"u8, out var type))
        {
            return null;
        }

        if (type.ValueKind == JsonValueKind.String)
        {
            return type.GetString();
        }

        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in type.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && !item.ValueEquals("null"u8))
                {
                    return item.GetString();
                }
            }
        }

        return null;
    }
}
