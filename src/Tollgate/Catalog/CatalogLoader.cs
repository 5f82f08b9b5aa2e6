using System.Globalization;
using System.Text.Json;

namespace Tollgate.Catalog;

/// <summary>
/// Reads catalog JSON (spec/README.md, "Catalog file") into models and validates it. Every error is a
/// <see cref="CatalogException"/> that names the model (its id, or <c>models[i]</c>) and the field path.
/// </summary>
/// <remarks>
/// Prices are parsed from the JSON text itself, whether written as a string (preferred) or a number, so
/// <c>0.0000001</c> stays exactly that: no value ever passes through <see cref="double"/>.
/// </remarks>
internal static class CatalogLoader
{
    private const decimal CharactersPerMillion = 1_000_000m;

    private const NumberStyles DecimalStyles =
        NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        AllowDuplicateProperties = false,
    };

    // ISO 8601 instants. Without an offset an instant is UTC; a date alone is midnight UTC.
    private static readonly string[] InstantFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd",
    ];

    private static readonly string KindList = string.Join(", ", ModelKinds.All);

    /// <summary>Reads and validates every model of a catalog document.</summary>
    public static IReadOnlyList<CatalogModel> Read(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            // The reader counts lines and bytes from zero and appends them to its message; people count from one.
            var reason = ex.Message;
            var suffix = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (suffix > 0)
            {
                reason = reason[..suffix];
            }

            throw new CatalogException(
                $"Catalog file is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, position {(ex.BytePositionInLine ?? 0) + 1}): {reason}",
                ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("models", out var models)
                || models.ValueKind != JsonValueKind.Array)
            {
                throw new CatalogException("Catalog file must be a JSON object with a \"models\" array: {\"models\": [...]}.");
            }

            var result = new List<CatalogModel>(models.GetArrayLength());
            var indexById = new Dictionary<string, int>(StringComparer.Ordinal);
            var index = 0;
            foreach (var element in models.EnumerateArray())
            {
                var model = ReadModel(element, index);
                if (!indexById.TryAdd(model.Id, index))
                {
                    throw Fail(new ModelRef(model.Id, HasId: true), "id", $"is already used by models[{indexById[model.Id]}].");
                }

                result.Add(model);
                index++;
            }

            return result;
        }
    }

    private static CatalogModel ReadModel(JsonElement element, int index)
    {
        var byIndex = new ModelRef($"models[{index}]", HasId: false);
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new CatalogException($"Catalog model {byIndex} is not a JSON object.", byIndex.Name, field: null);
        }

        var id = ReadString(element, "id", byIndex, path: "");
        if (string.IsNullOrWhiteSpace(id))
        {
            throw Fail(byIndex, "id", "is required.");
        }

        var model = new ModelRef(id, HasId: true);
        var name = ReadString(element, "name", model, path: "") ?? id;

        var kind = ReadString(element, "kind", model, path: "")
            ?? throw Fail(model, "kind", $"is required (one of {KindList}).");
        if (!ModelKinds.IsKnown(kind))
        {
            throw Fail(model, "kind", $"must be one of {KindList} (\"{kind}\").");
        }

        var contextWindow = ReadLong(element, "contextWindow", model, path: "", minimum: 1);
        var maxOutputTokens = ReadLong(element, "maxOutputTokens", model, path: "", minimum: 1);
        if (maxOutputTokens is null && kind == ModelKinds.Chat)
        {
            throw Fail(model, "maxOutputTokens", "is required for chat models.");
        }

        var providers = ReadArray(element, "providers", model, path: "");
        if (providers is not { } providerArray || providerArray.GetArrayLength() == 0)
        {
            throw Fail(model, "providers", "must list at least one provider mapping.");
        }

        var mappings = new List<ProviderMapping>(providerArray.GetArrayLength());
        foreach (var mappingElement in providerArray.EnumerateArray())
        {
            var path = $"providers[{mappings.Count}]";
            var mapping = ReadMapping(mappingElement, model, path);
            var twin = mappings.FindIndex(m => m.Provider == mapping.Provider && m.ProviderModelId == mapping.ProviderModelId);
            if (twin >= 0)
            {
                throw Fail(model, path, $"repeats providers[{twin}] ({mapping.Provider}, {mapping.ProviderModelId}).");
            }

            mappings.Add(mapping);
        }

        return new CatalogModel(id, name, kind, contextWindow, maxOutputTokens, mappings);
    }

    private static ProviderMapping ReadMapping(JsonElement element, ModelRef model, string path)
    {
        RequireObject(element, model, path);
        var provider = ReadRequiredString(element, "provider", model, path);
        var providerModelId = ReadRequiredString(element, "providerModelId", model, path);
        return new ProviderMapping(provider, providerModelId)
        {
            Availability = ReadAvailability(element, model, path),
            Prices = ReadSchedules(element, model, path),
        };
    }

    private static List<AvailabilityWindow> ReadAvailability(JsonElement mapping, ModelRef model, string mappingPath)
    {
        var windows = new List<AvailabilityWindow>();
        if (ReadArray(mapping, "availability", model, mappingPath) is not { } array)
        {
            return windows; // absent: always available
        }

        foreach (var element in array.EnumerateArray())
        {
            var path = $"{mappingPath}.availability[{windows.Count}]";
            RequireObject(element, model, path);
            var from = ReadInstant(element, "from", model, path);
            var until = ReadInstant(element, "until", model, path);
            if (from is { } f && until is { } u && f >= u)
            {
                throw Fail(model, $"{path}.from", "must be before until.");
            }

            windows.Add(new AvailabilityWindow(from, until));
        }

        return windows;
    }

    private static List<PriceSchedule> ReadSchedules(JsonElement mapping, ModelRef model, string mappingPath)
    {
        var pricesPath = Join(mappingPath, "prices");
        if (ReadArray(mapping, "prices", model, mappingPath) is not { } array || array.GetArrayLength() == 0)
        {
            throw Fail(model, pricesPath, "must list at least one price.");
        }

        var schedules = new List<PriceSchedule>(array.GetArrayLength());
        foreach (var element in array.EnumerateArray())
        {
            var path = $"{pricesPath}[{schedules.Count}]";
            RequireObject(element, model, path);
            var from = ReadInstant(element, "effectiveFrom", model, path);
            var until = ReadInstant(element, "effectiveUntil", model, path);
            if (from is { } f && until is { } u && f >= u)
            {
                throw Fail(model, $"{path}.effectiveFrom", "must be before effectiveUntil.");
            }

            var price = ReadPrice(element, model, path);
            schedules.Add(new PriceSchedule(from, until, price));
        }

        // Sorted by start, schedules are disjoint exactly when each one ends at or before the next one starts.
        var byStart = Enumerable.Range(0, schedules.Count)
            .OrderBy(i => schedules[i].EffectiveFrom ?? DateTimeOffset.MinValue)
            .ToArray();
        for (var k = 1; k < byStart.Length; k++)
        {
            var earlier = schedules[byStart[k - 1]];
            var later = schedules[byStart[k]];
            if ((earlier.EffectiveUntil ?? DateTimeOffset.MaxValue) > (later.EffectiveFrom ?? DateTimeOffset.MinValue))
            {
                var (first, second) = (Math.Min(byStart[k - 1], byStart[k]), Math.Max(byStart[k - 1], byStart[k]));
                throw Fail(model, $"{pricesPath}[{second}]", $"overlaps {pricesPath}[{first}]; price schedules of one mapping must not overlap.");
            }
        }

        return schedules;
    }

    private static ModelPrice ReadPrice(JsonElement element, ModelRef model, string path)
    {
        var fields = ReadPriceFields(element, model, path);
        var tiers = ReadTiers(element, model, path);
        var imageVariants = ReadVariants(element, "perImageVariants", model, path);
        var videoVariants = ReadVariants(element, "perVideoSecondVariants", model, path);
        if (!fields.IsAnySet && imageVariants.Count == 0 && videoVariants.Count == 0)
        {
            throw Fail(model, path, "sets no price.");
        }

        return new ModelPrice
        {
            InputPerMillion = fields.InputPerMillion,
            OutputPerMillion = fields.OutputPerMillion,
            CachedInputPerMillion = fields.CachedInputPerMillion,
            CacheWritePerMillion = fields.CacheWritePerMillion,
            PerRequest = fields.PerRequest,
            PerImage = fields.PerImage,
            PerVideoSecond = fields.PerVideoSecond,
            SpeechPerMillionCharacters = fields.SpeechPerMillionCharacters,
            PerAudioMinute = fields.PerAudioMinute,
            PerOcrPage = fields.PerOcrPage,
            ImageVariants = imageVariants,
            VideoVariants = videoVariants,
            Tiers = tiers,
        };
    }

    private static List<PriceTier> ReadTiers(JsonElement schedule, ModelRef model, string schedulePath)
    {
        var tiers = new List<PriceTier>();
        if (ReadArray(schedule, "tiers", model, schedulePath) is not { } array)
        {
            return tiers;
        }

        foreach (var element in array.EnumerateArray())
        {
            var path = $"{schedulePath}.tiers[{tiers.Count}]";
            RequireObject(element, model, path);
            var above = ReadLong(element, "aboveInputTokens", model, path, minimum: 0)
                ?? throw Fail(model, $"{path}.aboveInputTokens", "is required.");
            if (tiers.FindIndex(t => t.AboveInputTokens == above) is var twin and >= 0)
            {
                throw Fail(model, $"{path}.aboveInputTokens", $"repeats {schedulePath}.tiers[{twin}] ({above}).");
            }

            var fields = ReadPriceFields(element, model, path);
            if (!fields.IsAnySet)
            {
                throw Fail(model, path, "sets no price.");
            }

            tiers.Add(new PriceTier(above)
            {
                InputPerMillion = fields.InputPerMillion,
                OutputPerMillion = fields.OutputPerMillion,
                CachedInputPerMillion = fields.CachedInputPerMillion,
                CacheWritePerMillion = fields.CacheWritePerMillion,
                PerRequest = fields.PerRequest,
                PerImage = fields.PerImage,
                PerVideoSecond = fields.PerVideoSecond,
                SpeechPerMillionCharacters = fields.SpeechPerMillionCharacters,
                PerAudioMinute = fields.PerAudioMinute,
                PerOcrPage = fields.PerOcrPage,
            });
        }

        return tiers;
    }

    private static PriceFields ReadPriceFields(JsonElement element, ModelRef model, string path)
    {
        var speech = ReadDecimal(element, "speechPerMillionCharacters", model, path);

        // The spec also names the speech price "perSpeechCharacter"; a per-character price is accepted and
        // scaled (exactly) rather than silently ignored as an unknown field.
        if (ReadDecimal(element, "perSpeechCharacter", model, path) is { } perCharacter)
        {
            if (speech is not null)
            {
                throw Fail(model, $"{path}.perSpeechCharacter", "cannot be set together with speechPerMillionCharacters.");
            }

            speech = perCharacter * CharactersPerMillion;
        }

        return new PriceFields(
            InputPerMillion: ReadDecimal(element, "inputPerMillion", model, path),
            OutputPerMillion: ReadDecimal(element, "outputPerMillion", model, path),
            CachedInputPerMillion: ReadDecimal(element, "cachedInputPerMillion", model, path),
            CacheWritePerMillion: ReadDecimal(element, "cacheWritePerMillion", model, path),
            PerRequest: ReadDecimal(element, "perRequest", model, path),
            PerImage: ReadDecimal(element, "perImage", model, path),
            PerVideoSecond: ReadDecimal(element, "perVideoSecond", model, path),
            SpeechPerMillionCharacters: speech,
            PerAudioMinute: ReadDecimal(element, "perAudioMinute", model, path),
            PerOcrPage: ReadDecimal(element, "perOcrPage", model, path));
    }

    /// <summary>
    /// A price by variant: an object whose keys name the variant (<c>"1024x1024/high"</c>, <c>"1280x720"</c>)
    /// and whose values are decimals, like every price.
    /// </summary>
    private static Dictionary<string, decimal> ReadVariants(JsonElement element, string name, ModelRef model, string path)
    {
        var variants = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (!TryGetValue(element, name, out var value))
        {
            return variants;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(model, Join(path, name), $"must be an object of variant → price ({Show(value)}).");
        }

        foreach (var variant in value.EnumerateObject())
        {
            if (variant.Name.Length == 0)
            {
                throw Fail(model, Join(path, name), "has an empty variant name.");
            }

            variants[variant.Name] = ReadDecimal(value, variant.Name, model, Join(path, name))
                ?? throw Fail(model, Join(Join(path, name), variant.Name), "is required.");
        }

        return variants;
    }

    // :: Field readers. A property that is absent or JSON null counts as not set.

    private static bool TryGetValue(JsonElement element, string name, out JsonElement value) =>
        element.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static string? ReadString(JsonElement element, string name, ModelRef model, string path)
    {
        if (!TryGetValue(element, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw Fail(model, Join(path, name), $"must be a string ({Show(value)}).");
    }

    private static string ReadRequiredString(JsonElement element, string name, ModelRef model, string path)
    {
        var value = ReadString(element, name, model, path);
        return string.IsNullOrWhiteSpace(value) ? throw Fail(model, Join(path, name), "is required.") : value;
    }

    private static long? ReadLong(JsonElement element, string name, ModelRef model, string path, long minimum)
    {
        if (!TryGetValue(element, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            throw Fail(model, Join(path, name), $"is not a valid integer ({Show(value)}).");
        }

        return number >= minimum
            ? number
            : throw Fail(model, Join(path, name), $"must be at least {minimum} ({number}).");
    }

    private static decimal? ReadDecimal(JsonElement element, string name, ModelRef model, string path)
    {
        if (!TryGetValue(element, name, out var value))
        {
            return null;
        }

        // The raw JSON text of a number, not GetDouble(): exact decimal digits in, exact decimal out.
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        if (text is null || !decimal.TryParse(text, DecimalStyles, CultureInfo.InvariantCulture, out var number))
        {
            throw Fail(model, Join(path, name), $"is not a valid decimal ({Show(value)}).");
        }

        return number >= 0m
            ? number
            : throw Fail(model, Join(path, name), $"must not be negative ({Show(value)}).");
    }

    private static DateTimeOffset? ReadInstant(JsonElement element, string name, ModelRef model, string path)
    {
        if (!TryGetValue(element, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String
            || !DateTimeOffset.TryParseExact(
                value.GetString(),
                InstantFormats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out var instant))
        {
            throw Fail(model, Join(path, name), $"is not a valid ISO 8601 instant ({Show(value)}).");
        }

        return instant;
    }

    private static JsonElement? ReadArray(JsonElement element, string name, ModelRef model, string path)
    {
        if (!TryGetValue(element, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Array
            ? value
            : throw Fail(model, Join(path, name), $"must be an array ({Show(value)}).");
    }

    private static void RequireObject(JsonElement element, ModelRef model, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Fail(model, path, $"must be an object ({Show(element)}).");
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>A value as it appears in the file, shortened: strings quoted, anything else as raw JSON.</summary>
    private static string Show(JsonElement value)
    {
        const int MaxLength = 60;
        var text = value.ValueKind == JsonValueKind.String ? $"\"{value.GetString()}\"" : value.GetRawText();
        return text.Length <= MaxLength ? text : string.Concat(text.AsSpan(0, MaxLength), "...");
    }

    private static CatalogException Fail(ModelRef model, string field, string problem) =>
        new($"Catalog model {model}: {field} {problem}", model.Name, field);

    /// <summary>How a message names a model: <c>'gpt-5'</c> by id, or <c>models[3]</c> when it has none.</summary>
    private readonly record struct ModelRef(string Name, bool HasId)
    {
        public override string ToString() => HasId ? $"'{Name}'" : Name;
    }

    private readonly record struct PriceFields(
        decimal? InputPerMillion,
        decimal? OutputPerMillion,
        decimal? CachedInputPerMillion,
        decimal? CacheWritePerMillion,
        decimal? PerRequest,
        decimal? PerImage,
        decimal? PerVideoSecond,
        decimal? SpeechPerMillionCharacters,
        decimal? PerAudioMinute,
        decimal? PerOcrPage)
    {
        public bool IsAnySet =>
            InputPerMillion is not null || OutputPerMillion is not null || CachedInputPerMillion is not null
            || CacheWritePerMillion is not null || PerRequest is not null || PerImage is not null
            || PerVideoSecond is not null || SpeechPerMillionCharacters is not null || PerAudioMinute is not null
            || PerOcrPage is not null;
    }
}
