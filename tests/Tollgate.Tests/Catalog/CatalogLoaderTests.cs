using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

public sealed class CatalogLoaderTests
{
    [Fact]
    public void LoadFrom_SpecExample_ReadsEveryField()
    {
        const string Json = """
            {
              "models": [{
                "id": "claude-sonnet-5",
                "name": "Claude Sonnet 5",
                "contextWindow": 1000000,
                "maxOutputTokens": 128000,
                "kind": "chat",
                "providers": [{
                  "provider": "anthropic",
                  "providerModelId": "claude-sonnet-5",
                  "availability": [{"from": null, "until": null}],
                  "prices": [
                    {"effectiveFrom": null, "effectiveUntil": "2026-09-01T00:00:00Z",
                     "inputPerMillion": "2", "outputPerMillion": "10"},
                    {"effectiveFrom": "2026-09-01T00:00:00Z", "effectiveUntil": null,
                     "inputPerMillion": "3", "outputPerMillion": "15"}
                  ]
                }]
              }]
            }
            """;

        var catalog = CatalogJson.Load(Json);

        var model = Assert.Single(catalog.Models);
        Assert.Equal(new CatalogModel("claude-sonnet-5", "Claude Sonnet 5", "chat", 1_000_000, 128_000, model.Providers), model);
        var mapping = Assert.Single(model.Providers);
        Assert.Equal(("anthropic", "claude-sonnet-5"), (mapping.Provider, mapping.ProviderModelId));
        Assert.Equal([new AvailabilityWindow(null, null)], mapping.Availability);
        var switchInstant = new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(2, mapping.Prices.Count);
        Assert.Equal((null, switchInstant, 2m, 10m), (mapping.Prices[0].EffectiveFrom, mapping.Prices[0].EffectiveUntil, mapping.Prices[0].Price.InputPerMillion, mapping.Prices[0].Price.OutputPerMillion));
        Assert.Equal((switchInstant, null, 3m, 15m), (mapping.Prices[1].EffectiveFrom, mapping.Prices[1].EffectiveUntil, mapping.Prices[1].Price.InputPerMillion, mapping.Prices[1].Price.OutputPerMillion));
    }

    [Fact]
    public void LoadFrom_EveryPriceField_IsRead()
    {
        const string Json = """
            {"models": [{"id": "m", "kind": "image", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{
              "inputPerMillion": "1", "outputPerMillion": "2", "cachedInputPerMillion": "3", "cacheWritePerMillion": "4",
              "perRequest": "5", "perImage": "6", "perVideoSecond": "7", "speechPerMillionCharacters": "8",
              "perAudioMinute": "9", "perOcrPage": "10",
              "tiers": [{"aboveInputTokens": 1000, "inputPerMillion": "11", "outputPerMillion": "12", "cachedInputPerMillion": "13",
                         "cacheWritePerMillion": "14", "perRequest": "15", "perImage": "16", "perVideoSecond": "17",
                         "speechPerMillionCharacters": "18", "perAudioMinute": "19", "perOcrPage": "20"}]
            }]}]}]}
            """;

        var price = CatalogJson.Load(Json).Models[0].Providers[0].Prices[0].Price;

        Assert.Equal(
            new decimal?[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 },
            [price.InputPerMillion, price.OutputPerMillion, price.CachedInputPerMillion, price.CacheWritePerMillion, price.PerRequest,
             price.PerImage, price.PerVideoSecond, price.SpeechPerMillionCharacters, price.PerAudioMinute, price.PerOcrPage]);
        var tier = Assert.Single(price.Tiers);
        Assert.Equal(1000, tier.AboveInputTokens);
        Assert.Equal(
            new decimal?[] { 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 },
            [tier.InputPerMillion, tier.OutputPerMillion, tier.CachedInputPerMillion, tier.CacheWritePerMillion, tier.PerRequest,
             tier.PerImage, tier.PerVideoSecond, tier.SpeechPerMillionCharacters, tier.PerAudioMinute, tier.PerOcrPage]);
    }

    [Theory]
    [InlineData("\"0.0000001\"")]
    [InlineData("0.0000001")]
    [InlineData("1e-7")]
    [InlineData("\"1E-7\"")]
    public void LoadFrom_TinyDecimalAsStringOrNumber_StaysExact(string written)
    {
        var json = $$"""
            {"models": [{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm",
              "prices": [{"inputPerMillion": {{written}}}]}]}]}
            """;

        var price = CatalogJson.Load(json).Models[0].Providers[0].Prices[0].Price;

        Assert.Equal(0.0000001m, price.InputPerMillion);
    }

    [Fact]
    public void LoadFrom_NumberWithMoreDigitsThanADouble_IsParsedFromTheRawText()
    {
        const string Json = """
            {"models": [{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm",
              "prices": [{"inputPerMillion": 0.30000000000000000001, "outputPerMillion": 1.2345678901234567890123}]}]}]}
            """;

        var price = CatalogJson.Load(Json).Models[0].Providers[0].Prices[0].Price;

        Assert.Equal(0.30000000000000000001m, price.InputPerMillion);
        Assert.Equal(1.2345678901234567890123m, price.OutputPerMillion);
    }

    [Fact]
    public void LoadFrom_UnknownFieldsAndNoName_AreIgnoredAndTheNameDefaultsToTheId()
    {
        const string Json = """
            {"version": 3, "models": [{"id": "m", "kind": "chat", "maxOutputTokens": 10, "vendorNotes": {"a": [1, 2]},
              "providers": [{"provider": "p", "providerModelId": "pm", "region": "eu",
                "prices": [{"inputPerMillion": "1", "outputPerMillion": "2", "currency": "USD"}]}]}]}
            """;

        var model = Assert.Single(CatalogJson.Load(Json).Models);

        Assert.Equal("m", model.Name);
        Assert.Null(model.ContextWindow);
        Assert.Empty(model.Providers[0].Availability);
    }

    [Fact]
    public void LoadFrom_InstantWithOffsetOrDateOnly_IsNormalisedToUtc()
    {
        const string Json = """
            {"models": [{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm",
              "availability": [{"from": "2026-10-15", "until": null}],
              "prices": [{"effectiveFrom": "2026-09-01T02:00:00+02:00", "inputPerMillion": "1"}]}]}]}
            """;

        var mapping = CatalogJson.Load(Json).Models[0].Providers[0];

        Assert.Equal(new DateTimeOffset(2026, 10, 15, 0, 0, 0, TimeSpan.Zero), mapping.Availability[0].From);
        Assert.Equal(new DateTimeOffset(2026, 9, 1, 0, 0, 0, TimeSpan.Zero), mapping.Prices[0].EffectiveFrom);
        Assert.Equal(TimeSpan.Zero, mapping.Prices[0].EffectiveFrom!.Value.Offset);
    }

    [Fact]
    public void LoadFrom_PerSpeechCharacter_IsScaledToPerMillionCharacters()
    {
        const string Json = """
            {"models": [{"id": "tts", "kind": "speech", "providers": [{"provider": "openai", "providerModelId": "tts-1",
              "prices": [{"perSpeechCharacter": "0.000015"}]}]}]}
            """;

        var price = CatalogJson.Load(Json).Models[0].Providers[0].Prices[0].Price;

        Assert.Equal(15m, price.SpeechPerMillionCharacters);
    }

    [Fact]
    public void LoadFrom_MalformedJson_NamesTheLineAndPosition()
    {
        const string Json = "{\n  \"models\": [\n    {\"id\": \"m\",, }\n  ]\n}";

        var error = CatalogJson.LoadFails(Json);

        Assert.StartsWith("Catalog file is not valid JSON (line 3, position 16): ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"models\": {}}")]
    public void LoadFrom_NoModelsArray_FailsNamingTheExpectedShape(string json)
    {
        var error = CatalogJson.LoadFails(json);

        Assert.Contains("\"models\" array", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadFrom_InvalidDecimal_NamesTheModelAndTheFieldPath()
    {
        const string Json = """
            {"models": [{"id": "gpt-5", "kind": "chat", "maxOutputTokens": 128000,
              "providers": [{"provider": "openai", "providerModelId": "gpt-5", "prices": [{"inputPerMillion": "abc", "outputPerMillion": "10"}]}]}]}
            """;

        var error = CatalogJson.LoadFails(Json);

        Assert.Equal("Catalog model 'gpt-5': providers[0].prices[0].inputPerMillion is not a valid decimal (\"abc\").", error.Message);
        Assert.Equal("gpt-5", error.Model);
        Assert.Equal("providers[0].prices[0].inputPerMillion", error.Field);
    }

    [Fact]
    public void LoadFrom_ChatModelWithoutMaxOutputTokens_NamesTheModelAndTheField()
    {
        const string Json = """
            {"models": [{"id": "gpt-5", "kind": "chat",
              "providers": [{"provider": "openai", "providerModelId": "gpt-5", "prices": [{"inputPerMillion": "1.25", "outputPerMillion": "10"}]}]}]}
            """;

        var error = CatalogJson.LoadFails(Json);

        Assert.Equal("Catalog model 'gpt-5': maxOutputTokens is required for chat models.", error.Message);
    }

    [Fact]
    public void LoadFrom_ModelWithoutId_IsNamedByItsIndex()
    {
        const string Json = """
            {"models": [
              {"id": "a", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "a", "prices": [{"inputPerMillion": "1"}]}]},
              {"kind": "embedding", "providers": [{"provider": "p", "providerModelId": "b", "prices": [{"inputPerMillion": "1"}]}]}
            ]}
            """;

        var error = CatalogJson.LoadFails(Json);

        Assert.Equal("Catalog model models[1]: id is required.", error.Message);
        Assert.Equal("models[1]", error.Model);
    }

    [Fact]
    public void LoadFrom_DuplicateModelIds_NamesTheModelAndTheFirstOccurrence()
    {
        const string Json = """
            {"models": [
              {"id": "a", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "a", "prices": [{"inputPerMillion": "1"}]}]},
              {"id": "b", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "b", "prices": [{"inputPerMillion": "1"}]}]},
              {"id": "a", "kind": "embedding", "providers": [{"provider": "q", "providerModelId": "a", "prices": [{"inputPerMillion": "2"}]}]}
            ]}
            """;

        var error = CatalogJson.LoadFails(Json);

        Assert.Equal("Catalog model 'a': id is already used by models[0].", error.Message);
    }

    public static TheoryData<string, string> InvalidModels => new()
    {
        {
            """{"id": "m", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model 'm': kind is required (one of chat, embedding, ocr, speech, transcription, image, video)."
        },
        {
            """{"id": "m", "kind": "audio", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model 'm': kind must be one of chat, embedding, ocr, speech, transcription, image, video (\"audio\")."
        },
        {
            """{"id": "m", "kind": "embedding"}""",
            "Catalog model 'm': providers must list at least one provider mapping."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": []}""",
            "Catalog model 'm': providers must list at least one provider mapping."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"providerModelId": "pm", "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model 'm': providers[0].provider is required."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model 'm': providers[0].providerModelId is required."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm"}]}""",
            "Catalog model 'm': providers[0].prices must list at least one price."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": []}]}""",
            "Catalog model 'm': providers[0].prices must list at least one price."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"effectiveFrom": null}]}]}""",
            "Catalog model 'm': providers[0].prices[0] sets no price."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "-0.5"}]}]}""",
            "Catalog model 'm': providers[0].prices[0].inputPerMillion must not be negative (\"-0.5\")."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": -1}]}]}""",
            "Catalog model 'm': providers[0].prices[0].inputPerMillion must not be negative (-1)."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": true}]}]}""",
            "Catalog model 'm': providers[0].prices[0].inputPerMillion is not a valid decimal (true)."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1", "effectiveFrom": "next tuesday"}]}]}""",
            "Catalog model 'm': providers[0].prices[0].effectiveFrom is not a valid ISO 8601 instant (\"next tuesday\")."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1", "effectiveFrom": "2026-09-01T00:00:00Z", "effectiveUntil": "2026-09-01T00:00:00Z"}]}]}""",
            "Catalog model 'm': providers[0].prices[0].effectiveFrom must be before effectiveUntil."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1", "effectiveFrom": "2026-10-01T00:00:00Z", "effectiveUntil": "2026-09-01T00:00:00Z"}]}]}""",
            "Catalog model 'm': providers[0].prices[0].effectiveFrom must be before effectiveUntil."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "2", "effectiveFrom": "2026-09-01T00:00:00Z"}, {"inputPerMillion": "1", "effectiveUntil": "2026-09-01T00:00:01Z"}]}]}""",
            "Catalog model 'm': providers[0].prices[1] overlaps providers[0].prices[0]; price schedules of one mapping must not overlap."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1"}, {"inputPerMillion": "2", "effectiveFrom": "2030-01-01T00:00:00Z"}]}]}""",
            "Catalog model 'm': providers[0].prices[1] overlaps providers[0].prices[0]; price schedules of one mapping must not overlap."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "availability": [{"from": "2026-10-15T00:00:00Z", "until": "2026-10-01T00:00:00Z"}], "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model 'm': providers[0].availability[0].from must be before until."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "availability": [{"from": "yesterday"}], "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model 'm': providers[0].availability[0].from is not a valid ISO 8601 instant (\"yesterday\")."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1", "tiers": [{"inputPerMillion": "2"}]}]}]}""",
            "Catalog model 'm': providers[0].prices[0].tiers[0].aboveInputTokens is required."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1", "tiers": [{"aboveInputTokens": 1000}]}]}]}""",
            "Catalog model 'm': providers[0].prices[0].tiers[0] sets no price."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1", "tiers": [{"aboveInputTokens": 1000, "inputPerMillion": "x"}]}]}]}""",
            "Catalog model 'm': providers[0].prices[0].tiers[0].inputPerMillion is not a valid decimal (\"x\")."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1", "tiers": [{"aboveInputTokens": 10, "inputPerMillion": "2"}, {"aboveInputTokens": 10, "inputPerMillion": "3"}]}]}]}""",
            "Catalog model 'm': providers[0].prices[0].tiers[1].aboveInputTokens repeats providers[0].prices[0].tiers[0] (10)."
        },
        {
            """{"id": "m", "kind": "chat", "maxOutputTokens": 0, "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model 'm': maxOutputTokens must be at least 1 (0)."
        },
        {
            """{"id": "m", "kind": "chat", "maxOutputTokens": "lots", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model 'm': maxOutputTokens is not a valid integer (\"lots\")."
        },
        {
            """{"id": "m", "kind": "chat", "maxOutputTokens": 10, "contextWindow": 1.5, "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model 'm': contextWindow is not a valid integer (1.5)."
        },
        {
            """{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1"}]}, {"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "2"}]}]}""",
            "Catalog model 'm': providers[1] repeats providers[0] (p, pm)."
        },
        {
            """{"id": "m", "kind": "speech", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"speechPerMillionCharacters": "15", "perSpeechCharacter": "0.000015"}]}]}""",
            "Catalog model 'm': providers[0].prices[0].perSpeechCharacter cannot be set together with speechPerMillionCharacters."
        },
        {
            """{"id": 42, "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [{"inputPerMillion": "1"}]}]}""",
            "Catalog model models[0]: id must be a string (42)."
        },
    };

    [Theory]
    [MemberData(nameof(InvalidModels))]
    public void LoadFrom_InvalidModel_FailsNamingTheModelAndTheField(string model, string expectedMessage)
    {
        var json = $$"""{"models": [{{model}}]}""";

        var error = CatalogJson.LoadFails(json);

        Assert.Equal(expectedMessage, error.Message);
    }

    [Fact]
    public void LoadFrom_AdjacentSchedulesSharingTheSwitchInstant_DoNotOverlap()
    {
        const string Json = """
            {"models": [{"id": "m", "kind": "embedding", "providers": [{"provider": "p", "providerModelId": "pm", "prices": [
              {"effectiveFrom": "2026-09-01T00:00:00Z", "inputPerMillion": "3"},
              {"effectiveUntil": "2026-09-01T00:00:00Z", "inputPerMillion": "2"}]}]}]}
            """;

        var mapping = CatalogJson.Load(Json).Models[0].Providers[0];

        Assert.Equal(2, mapping.Prices.Count);
    }
}
