using System.Globalization;
using System.Text.Json;
using Tollgate.Budgets;

namespace Tollgate.Gateway.Errors;

/// <summary>How one client wire format words a <see cref="GatewayError"/>.</summary>
public abstract class ErrorFormat
{
    /// <summary>The error body as UTF-8 JSON.</summary>
    public abstract byte[] ToJson(GatewayError error);

    /// <summary>Writes <paramref name="error"/> as the whole response.</summary>
    public Task WriteAsync(HttpResponse response, GatewayError error)
    {
        var json = ToJson(error);
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        response.ContentLength = json.Length;
        return response.Body.WriteAsync(json).AsTask();
    }

    /// <summary>Writes the <c>budget</c> object of a denial (scope, cap, limit, spent, remaining, resetsAt).</summary>
    protected static void WriteBudget(Utf8JsonWriter writer, CapStatus cap)
    {
        writer.WriteStartObject("budget");
        writer.WriteString("scope", cap.Scope);
        writer.WriteString("cap", cap.Cap);
        writer.WriteString("limit", Money.ToWire(cap.LimitPico));
        writer.WriteString("spent", Money.ToWire(cap.UsedPico));
        writer.WriteString("remaining", Money.ToWire(cap.RemainingPico));
        if (cap.ResetsAt is { } resetsAt)
        {
            writer.WriteString("resetsAt", resetsAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull("resetsAt");
        }

        writer.WriteEndObject();
    }

    /// <summary>Serialises with a writer over a small buffer.</summary>
    protected static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body(writer);
        }

        return buffer.ToArray();
    }
}

/// <summary>OpenAI's error format: <c>{"error":{"message","type","param","code"}}</c>, plus <c>detail</c> and <c>budget</c> on denials.</summary>
public sealed class OpenAIErrorFormat : ErrorFormat
{
    /// <summary>The one instance.</summary>
    public static OpenAIErrorFormat Instance { get; } = new();

    /// <inheritdoc />
    public override byte[] ToJson(GatewayError error) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", error.Message);
        writer.WriteString("type", error.Type);
        if (error.Param is null)
        {
            writer.WriteNull("param");
        }
        else
        {
            writer.WriteString("param", error.Param);
        }

        writer.WriteString("code", error.Code);
        if (error.Detail is not null)
        {
            writer.WriteString("detail", error.Detail);
        }

        if (error.Budget is { } cap)
        {
            WriteBudget(writer, cap);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    });
}

/// <summary>
/// Anthropic's error format: <c>{"type":"error","error":{"type","message"}}</c>, the error type chosen
/// by status as Anthropic does; a denial also carries <c>code</c>, <c>detail</c> and <c>budget</c>
/// inside <c>error</c> (extra fields Anthropic's SDKs ignore).
/// </summary>
public sealed class AnthropicErrorFormat : ErrorFormat
{
    /// <summary>The one instance.</summary>
    public static AnthropicErrorFormat Instance { get; } = new();

    /// <summary>Anthropic's error type for a status.</summary>
    public static string TypeFor(int status) => status switch
    {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 or 503 => "overloaded_error",
        >= 500 => "api_error",
        _ => "invalid_request_error",
    };

    /// <inheritdoc />
    public override byte[] ToJson(GatewayError error) => Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type", "error");
        writer.WriteStartObject("error");
        writer.WriteString("type", TypeFor(error.Status));
        writer.WriteString("message", error.Message);
        writer.WriteString("code", error.Code);
        if (error.Detail is not null)
        {
            writer.WriteString("detail", error.Detail);
        }

        if (error.Budget is { } cap)
        {
            WriteBudget(writer, cap);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    });
}
