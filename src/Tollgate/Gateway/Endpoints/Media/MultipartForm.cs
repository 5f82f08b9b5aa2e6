using System.Net.Http.Headers;
using System.Text;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Endpoints.Media;

/// <summary>One part of a <c>multipart/form-data</c> body.</summary>
/// <param name="Name">The form field's name.</param>
/// <param name="FileName">The file name, for a file part.</param>
/// <param name="ContentType">The part's content type, if it gave one.</param>
/// <param name="Data">The part's bytes.</param>
internal sealed record FormPart(string Name, string? FileName, string? ContentType, ReadOnlyMemory<byte> Data)
{
    /// <summary>The part's bytes as UTF-8 text (a plain field).</summary>
    public string Text => Encoding.UTF8.GetString(Data.Span);
}

/// <summary>
/// A <c>multipart/form-data</c> upload (RFC 7578), read from the bytes the gateway already holds and
/// written back upstream with its fields in order and the model replaced. Reading is synchronous over
/// the buffered body; a malformed body is a 400 value.
/// </summary>
internal sealed class MultipartForm
{
    private MultipartForm(List<FormPart> parts) => Parts = parts;

    /// <summary>The parts in the order the client sent them.</summary>
    public IReadOnlyList<FormPart> Parts { get; }

    /// <summary>The first part named <paramref name="name"/>, or null.</summary>
    public FormPart? Get(string name) => Parts.FirstOrDefault(p => p.Name == name);

    /// <summary>The text of the first field named <paramref name="name"/>, or null.</summary>
    public string? Field(string name) => Get(name)?.Text;

    /// <summary>Parses <paramref name="body"/> with the boundary of <paramref name="contentType"/>.</summary>
    public static (MultipartForm? Form, GatewayError? Error) Parse(byte[] body, string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var type)
            || type.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value is not { Length: > 0 } rawBoundary)
        {
            return (null, GatewayError.BadRequest("invalid_multipart", "The multipart/form-data body has no boundary in its Content-Type."));
        }

        var delimiter = Encoding.ASCII.GetBytes("--" + rawBoundary.Trim('"'));
        var parts = new List<FormPart>();
        var span = body.AsSpan();
        var at = span.IndexOf(delimiter);
        if (at < 0)
        {
            return (null, Malformed("the boundary does not occur in the body"));
        }

        at += delimiter.Length;
        while (true)
        {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            if (span[at..].StartsWith("--"u8))
            {
                return (new MultipartForm(parts), null);
            }

            if (!span[at..].StartsWith("\r\n"u8))
            {
                return (null, Malformed("a boundary is not followed by a line break"));
            }

            at += 2;
            var headerEnd = span[at..].IndexOf("\r\n\r\n"u8);
            if (headerEnd < 0)
            {
                return (null, Malformed("a part's headers do not end"));
            }

            var headers = Encoding.UTF8.GetString(span.Slice(at, headerEnd));
            var dataStart = at + headerEnd + 4;
            var next = span[dataStart..].IndexOf([.. "\r\n"u8, .. delimiter]);
            if (next < 0)
            {
                return (null, Malformed("a part does not end with the boundary"));
            }

            var (name, fileName, partType) = ReadHeaders(headers);
            if (name is null)
            {
                return (null, Malformed("a part has no form-data name"));
            }

            parts.Add(new FormPart(name, fileName, partType, body.AsMemory(dataStart, next)));
            at = dataStart + next + 2 + delimiter.Length;
        }
    }

    /// <summary>The form as sent upstream: every part as the client sent it, except the fields in <paramref name="replace"/>.</summary>
    public MultipartFormDataContent ToContent(IReadOnlyDictionary<string, string> replace)
    {
        var content = new MultipartFormDataContent();
        foreach (var part in Parts)
        {
            HttpContent item = replace.TryGetValue(part.Name, out var text)
                ? new ByteArrayContent(Encoding.UTF8.GetBytes(text))
                : new ReadOnlyMemoryContent(part.Data);
            if (part.ContentType is not null && !replace.ContainsKey(part.Name))
            {
                item.Headers.ContentType = MediaTypeHeaderValue.Parse(part.ContentType);
            }

            if (part.FileName is null)
            {
                content.Add(item, part.Name);
            }
            else
            {
                content.Add(item, part.Name, part.FileName);
            }
        }

        return content;
    }

    private static (string? Name, string? FileName, string? ContentType) ReadHeaders(string headers)
    {
        string? name = null, fileName = null, contentType = null;
        foreach (var line in headers.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var header = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (header.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
            else if (header.Equals("Content-Disposition", StringComparison.OrdinalIgnoreCase)
                && ContentDispositionHeaderValue.TryParse(value, out var disposition))
            {
                name = disposition.Name?.Trim('"');
                fileName = (disposition.FileNameStar ?? disposition.FileName)?.Trim('"');
            }
        }

        return (name, fileName, contentType);
    }

    private static GatewayError Malformed(string why) =>
        GatewayError.BadRequest("invalid_multipart", $"The multipart/form-data body is malformed: {why}.");
}
