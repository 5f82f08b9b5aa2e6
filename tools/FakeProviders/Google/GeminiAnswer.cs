using System.Text.Json;

namespace Tollgate.FakeProviders.Google;

/// <summary>One fake Gemini answer, written whole or chunk by chunk.</summary>
internal sealed class GeminiAnswer
{
    private readonly string _id;
    private readonly string _model;
    private readonly FakeKnobs _knobs;
    private readonly int _promptTokens;
    private readonly int _textTokens;
    private readonly (string Name, string Args)? _call;
    private readonly bool _thoughts;
    private readonly bool _image;
    private readonly string _finish;

    public GeminiAnswer(string id, string model, GeminiRequest request, FakeKnobs knobs, int promptTokens)
    {
        _id = id;
        _model = model;
        _knobs = knobs;
        _promptTokens = promptTokens;
        _thoughts = request.IncludeThoughts && knobs.ReasoningTokens > 0;
        _image = request.TextAndImage;
        _finish = knobs.FinishReason ?? "STOP";
        if (request.CallFor(knobs) is { } call)
        {
            _call = (call.Name, ToolArguments.For(call.Schema));
        }
        else
        {
            _textTokens = Math.Max(0, knobs.Chunks);
            if (request.MaxOutputTokens is { } max && max < _textTokens)
            {
                _textTokens = max;
                _finish = knobs.FinishReason ?? "MAX_TOKENS";
            }
        }
    }

    /// <summary>One part of the answer: a thought summary, a text token, or the function call.</summary>
    internal abstract record Part;

    private sealed record ThoughtPart(string Text) : Part;

    private sealed record TextPart(string Text) : Part;

    private sealed record CallPart(string Name, string Args) : Part;

    private sealed record ImagePart : Part;

    private bool Blocked => _knobs.SafetyBlock is not null;

    private int TextTokens => _call is { } c ? FakeExchange.TokensOfBytes(c.Args.Length) : _textTokens;

    // An image model asked for text and images answers its text, then one image of GeminiImageAnswer.ImageTokens.
    private int CandidateTokens => TextTokens + (_image ? GeminiImageAnswer.ImageTokens : 0);

    /// <summary>The stream's chunks: one per text token, the thoughts first, or the call alone.</summary>
    public List<Part> Chunks()
    {
        if (Blocked)
        {
            return [new TextPart(string.Empty)];
        }

        List<Part> chunks = [];
        if (_thoughts)
        {
            chunks.Add(new ThoughtPart(FakeExchange.Tokens("think", _knobs.ReasoningTokens)));
        }

        if (_call is { } call)
        {
            chunks.Add(new CallPart(call.Name, call.Args));
        }
        else
        {
            for (var i = 0; i < _textTokens; i++)
            {
                chunks.Add(new TextPart(FakeExchange.Token("tok", i)));
            }
        }

        if (_image)
        {
            chunks.Add(new ImagePart());
        }

        if (chunks.Count == 0)
        {
            chunks.Add(new TextPart(string.Empty));
        }

        return chunks;
    }

    /// <summary>The whole answer.</summary>
    public void WriteWhole(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        if (!Blocked)
        {
            WriteCandidate(json, Chunks(), finish: true);
        }

        WriteTail(json, final: true);
        json.WriteEndObject();
    }

    /// <summary>One streamed chunk; the last carries <c>finishReason</c> and the whole usage.</summary>
    public void WriteChunk(Utf8JsonWriter json, Part part, bool last)
    {
        json.WriteStartObject();
        if (!Blocked)
        {
            WriteCandidate(json, [part], finish: last);
        }

        WriteTail(json, final: last);
        json.WriteEndObject();
    }

    private void WriteCandidate(Utf8JsonWriter json, List<Part> parts, bool finish)
    {
        json.WriteStartArray("candidates"u8);
        json.WriteStartObject();
        json.WriteStartObject("content"u8);
        json.WriteStartArray("parts"u8);
        foreach (var part in parts)
        {
            json.WriteStartObject();
            switch (part)
            {
                case ThoughtPart thought:
                    json.WriteString("text"u8, thought.Text);
                    json.WriteBoolean("thought"u8, true);
                    json.WriteString("thoughtSignature"u8, "c2lnLWZha2U=");
                    break;
                case CallPart call:
                    json.WriteStartObject("functionCall"u8);
                    json.WriteString("name"u8, call.Name);
                    json.WritePropertyName("args"u8);
                    json.WriteRawValue(call.Args);
                    json.WriteEndObject();
                    break;
                case TextPart text:
                    json.WriteString("text"u8, text.Text);
                    break;
                case ImagePart:
                    GeminiImageAnswer.WriteInlinePng(json);
                    break;
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("role"u8, "model"u8);
        json.WriteEndObject();
        if (finish)
        {
            json.WriteString("finishReason"u8, _finish);
            WriteSafetyRatings(json, "NEGLIGIBLE");
        }

        json.WriteNumber("index"u8, 0);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    private void WriteTail(Utf8JsonWriter json, bool final)
    {
        if (Blocked)
        {
            json.WriteStartObject("promptFeedback"u8);
            json.WriteString("blockReason"u8, _knobs.SafetyBlock);
            WriteSafetyRatings(json, "HIGH");
            json.WriteEndObject();
        }

        if (!_knobs.OmitUsage)
        {
            var cached = Math.Min(_knobs.CachedTokens, _promptTokens);
            var candidates = Blocked ? 0 : CandidateTokens;
            var thoughts = Blocked ? 0 : _knobs.ReasoningTokens;
            json.WriteStartObject("usageMetadata"u8);
            json.WriteNumber("promptTokenCount"u8, _promptTokens);
            if (final)
            {
                if (candidates > 0)
                {
                    json.WriteNumber("candidatesTokenCount"u8, candidates);
                }

                if (cached > 0)
                {
                    json.WriteNumber("cachedContentTokenCount"u8, cached);
                }

                if (thoughts > 0)
                {
                    json.WriteNumber("thoughtsTokenCount"u8, thoughts);
                }

                if (_image && !Blocked)
                {
                    GeminiImageAnswer.WriteCandidatesDetails(json, TextTokens);
                }
            }

            json.WriteNumber("totalTokenCount"u8, _promptTokens + (final ? candidates + thoughts : 0));
            json.WriteEndObject();
        }

        json.WriteString("modelVersion"u8, _model);
        json.WriteString("responseId"u8, _id);
    }

    private static void WriteSafetyRatings(Utf8JsonWriter json, string probability)
    {
        json.WriteStartArray("safetyRatings"u8);
        foreach (var category in (string[])["HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_SEXUALLY_EXPLICIT"])
        {
            json.WriteStartObject();
            json.WriteString("category"u8, category);
            json.WriteString("probability"u8, category == "HARM_CATEGORY_DANGEROUS_CONTENT" ? probability : "NEGLIGIBLE");
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
