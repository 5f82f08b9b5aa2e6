using System.Buffers;
using System.Text.Json;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// Writes server-sent events whose data is one JSON object (<c>event: name\n</c> when named,
/// <c>data: {json}\n\n</c>), straight into the output buffer with one reused <see cref="Utf8JsonWriter"/>.
/// </summary>
internal sealed class SseJsonWriter
{
    private Utf8JsonWriter? _json;
    private IBufferWriter<byte>? _output;

    /// <summary>Starts an event; write one JSON value, then call <see cref="End"/>.</summary>
    public Utf8JsonWriter Begin(IBufferWriter<byte> output, ReadOnlySpan<byte> eventName = default)
    {
        if (!eventName.IsEmpty)
        {
            output.Write("event: "u8);
            output.Write(eventName);
            output.Write("\n"u8);
        }

        output.Write("data: "u8);
        if (_json is null)
        {
            _json = new Utf8JsonWriter(output, WireJson.Options);
        }
        else
        {
            _json.Reset(output);
        }

        _output = output;
        return _json;
    }

    /// <summary>The writer of the event in progress.</summary>
    public Utf8JsonWriter Current => _json!;

    /// <summary>Ends the event started by <see cref="Begin"/>.</summary>
    public void End()
    {
        _json!.Flush();
        _output!.Write("\n\n"u8);
    }
}

/// <summary>Errors the stream decoders report.</summary>
internal static class StreamFailures
{
    /// <summary>The provider sent an event the decoder could not read.</summary>
    public static readonly GatewayError Unreadable =
        GatewayError.Upstream(StatusCodes.Status502BadGateway, "invalid_upstream_event", "The provider sent a stream event that could not be read.");
}
