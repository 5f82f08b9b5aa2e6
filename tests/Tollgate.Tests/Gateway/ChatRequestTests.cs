using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Gateway.Endpoints.ChatCompletions;
using Tollgate.Gateway.Errors;

namespace Tollgate.Tests.Gateway;

/// <summary>
/// The chat request as the gateway reads and forwards it: validation errors (code, message, order)
/// and the upstream body, for requests read in one pass and for those rewritten through the tree.
/// </summary>
public sealed class ChatRequestTests
{
    private static (ChatRequest? Request, GatewayError? Error) Read(string json) => ChatRequest.From(Encoding.UTF8.GetBytes(json));

    private static ChatRequest Valid(string json)
    {
        var (request, error) = Read(json);
        Assert.Null(error);
        return request!;
    }

    private static JsonObject Upstream(ChatRequest request, string model = "up-model", string provider = "openai", long? clamp = null) =>
        (JsonObject)JsonNode.Parse(request.ToUpstreamBody(model, provider == "openai", clamp))!;

    [Fact]
    public void PlainRequest_UpstreamBody_IsTheClientsWithTheProvidersModel()
    {
        const string json = """{ "model" : "gpt-x", "messages":[{"role":"user","content":"hi \"there\""}], "temperature":0.5, "custom":{"a":[1,2]} }""";
        var request = Valid(json);

        var body = request.ToUpstreamBody("up/model\"1", true, null);

        Assert.Equal("gpt-x", request.ModelName);
        Assert.False(request.Stream);
        Assert.Null(request.MaxOutputTokens);
        var expected = (JsonObject)JsonNode.Parse(json)!;
        expected["model"] = "up/model\"1";
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(body)), Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void Stream_WithoutOptions_AsksUpstreamForTheUsageChunk()
    {
        var request = Valid("""{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}""");

        var body = Upstream(request);

        Assert.True(request.Stream);
        Assert.False(request.ClientWantsUsage);
        Assert.Equal("up-model", (string?)body["model"]);
        Assert.True((bool?)body["stream_options"]?["include_usage"]);
        Assert.True((bool?)body["stream"]);
    }

    [Fact]
    public void Stream_ClientOptionsWithoutUsage_AreKeptAndUsageIsTurnedOn()
    {
        var request = Valid("""{"model":"m","stream":true,"stream_options":{"include_usage":false,"other":1},"messages":[{"role":"user","content":"x"}]}""");

        var body = Upstream(request);

        Assert.False(request.ClientWantsUsage);
        Assert.True((bool?)body["stream_options"]?["include_usage"]);
        Assert.Equal(1, (int?)body["stream_options"]?["other"]);
    }

    [Fact]
    public void Stream_ClientAskedForUsage_IsForwardedAsSent()
    {
        var request = Valid("""{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}""");

        var body = Upstream(request);

        Assert.True(request.ClientWantsUsage);
        Assert.True((bool?)body["stream_options"]?["include_usage"]);
        Assert.Single(body["stream_options"]!.AsObject());
    }

    [Theory]
    [InlineData("openai", """{"model":"m","messages":[{"role":"user","content":"x"}]}""", "max_completion_tokens")]
    [InlineData("mistral", """{"model":"m","messages":[{"role":"user","content":"x"}]}""", "max_tokens")]
    [InlineData("openai", """{"model":"m","max_tokens":500,"messages":[{"role":"user","content":"x"}]}""", "max_tokens")]
    [InlineData("mistral", """{"model":"m","max_completion_tokens":500,"max_tokens":400,"messages":[{"role":"user","content":"x"}]}""", "max_completion_tokens")]
    public void Clamp_SetsOneOutputLimitField(string provider, string json, string field)
    {
        var request = Valid(json);

        var body = Upstream(request, provider: provider, clamp: 77);

        Assert.Equal(77, (long?)body[field]);
        var other = field == "max_tokens" ? "max_completion_tokens" : "max_tokens";
        Assert.False(body.ContainsKey(other));
        Assert.Equal("up-model", (string?)body["model"]);
    }

    [Fact]
    public void OutputLimits_TheSmallerOfBothIsUsed_AndNullIsIgnored()
    {
        Assert.Equal(300, Valid("""{"model":"m","max_completion_tokens":300,"max_tokens":900,"messages":[{}]}""").MaxOutputTokens);
        Assert.Equal(900, Valid("""{"model":"m","max_completion_tokens":null,"max_tokens":900,"messages":[{}]}""").MaxOutputTokens);
    }

    [Theory]
    [InlineData("""{"messages":[{}]}""", "missing_required_parameter", "model")]
    [InlineData("""{"model":"  ","messages":[{}]}""", "missing_required_parameter", "model")]
    [InlineData("""{"model":7,"messages":[{}]}""", "missing_required_parameter", "model")]
    [InlineData("""{"model":"m"}""", "missing_required_parameter", "messages")]
    [InlineData("""{"model":"m","messages":[]}""", "missing_required_parameter", "messages")]
    [InlineData("""{"model":"m","messages":{}}""", "missing_required_parameter", "messages")]
    [InlineData("""{"model":"m","messages":[{}],"stream":"yes"}""", "invalid_type", "stream")]
    [InlineData("""{"model":"m","messages":[{}],"max_tokens":0}""", "invalid_value", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{}],"max_tokens":1.5}""", "invalid_value", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{}],"max_completion_tokens":"10"}""", "invalid_value", "max_completion_tokens")]
    [InlineData("""{"messages":[],"stream":"x"}""", "missing_required_parameter", "model")] // the first error wins
    public void InvalidFields_AreNamedInOrder(string json, string code, string param)
    {
        var (request, error) = Read(json);

        Assert.Null(request);
        Assert.Equal(400, error!.Status);
        Assert.Equal(code, error.Code);
        Assert.Equal(param, error.Param);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[""")]
    [InlineData("""{"model":"m","messages":[{}]} trailing""")]
    [InlineData("""{"model":"m",}""")]
    [InlineData("""   """)]
    public void MalformedJson_Is400InvalidJson_WithTheParsersReason(string json)
    {
        var (request, error) = Read(json);

        Assert.Null(request);
        Assert.Equal("invalid_json", error!.Code);
        Assert.StartsWith("The request body is not valid JSON: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"model":"m"}]""")]
    [InlineData("\"text\"")]
    [InlineData("""null""")]
    public void NotAnObject_Is400(string json)
    {
        var (_, error) = Read(json);

        Assert.Equal("invalid_json", error!.Code);
        Assert.Equal("The request body must be a JSON object.", error.Message);
    }

    [Fact]
    public void EscapedFieldName_IsReadAsTheFieldItSpells()
    {
        var request = Valid("""{"mod\u0065l":"m","messages":[{}],"max_tok\u0065ns":5}""");

        Assert.Equal("m", request.ModelName);
        Assert.Equal(5, request.MaxOutputTokens);
        Assert.Equal("up-model", (string?)Upstream(request)["model"]);
    }

    [Theory]
    [InlineData("""{"model":"cheap","messages":[{}],"model":"dear"}""", "model")]
    [InlineData("""{"model":"m","mod\u0065l":"other","messages":[{}]}""", "model")]
    [InlineData("""{"model":"m","messages":[{}],"max_tokens":5,"max_tokens":9000}""", "max_tokens")]
    [InlineData("""{"model":"m","messages":[{}],"stream":false,"stream":true}""", "stream")]
    [InlineData("""{"model":"m","messages":[{}],"stream":true,"stream_options":{"include_usage":false,"include_usage":true}}""", "stream_options.include_usage")]
    public void RepeatedField_TheGatewayReads_IsRefused(string json, string field)
    {
        // The gateway and the provider could read different values: priced as one model, served as another.
        var (request, error) = Read(json);

        Assert.Null(request);
        Assert.Equal("invalid_json", error!.Code);
        Assert.Equal($"The '{field}' field appears more than once.", error.Message);
    }

    [Fact]
    public void RepeatedField_TheGatewayDoesNotRead_PassesThroughToTheProvider()
    {
        const string json = """{"model":"m","temperature":1,"messages":[{}],"temperature":2}""";
        var request = Valid(json);

        var body = Encoding.UTF8.GetString(request.ToUpstreamBody("up", true, 50));

        Assert.Equal("""{"model":"up","temperature":1,"messages":[{}],"temperature":2,"max_completion_tokens":50}""", body);
    }

    [Theory]
    [InlineData("mistral", """{"max_tokens":900,"model":"m","messages":[{}]}""", """{"max_tokens":10,"model":"up","messages":[{}]}""")]
    [InlineData("openai", """{"max_completion_tokens":900, "max_tokens":900,"model":"m","messages":[{}]}""", """{"max_completion_tokens":10,"model":"up","messages":[{}]}""")]
    [InlineData("openai", """{"max_tokens":900, "max_completion_tokens":900,"model":"m","messages":[{}]}""", """{"max_completion_tokens":10,"model":"up","messages":[{}]}""")]
    [InlineData("openai", """{"model":"m","max_tokens":900 , "messages":[{}],"max_completion_tokens":5}""", """{"model":"up" , "messages":[{}],"max_completion_tokens":10}""")]
    [InlineData("mistral", """{"model":"m","messages":[{}],"max_completion_tokens":900}""", """{"model":"up","messages":[{}],"max_completion_tokens":10}""")]
    [InlineData("openai", """{"model":"m","messages":[{}]}""", """{"model":"up","messages":[{}],"max_completion_tokens":10}""")]
    [InlineData("mistral", """{"model":"m","messages":[{}]}""", """{"model":"up","messages":[{}],"max_tokens":10}""")]
    public void Clamp_ReplacesOneLimitAndRemovesTheOther_LeavingValidJson(string provider, string json, string expected)
    {
        var body = Encoding.UTF8.GetString(Valid(json).ToUpstreamBody("up", provider == "openai", 10));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(body)), body);
    }

    [Theory]
    [InlineData("""{"model":"m","stream":true,"stream_options":{},"messages":[{}]}""")]
    [InlineData("""{"model":"m","stream":true,"stream_options":null,"messages":[{}]}""")]
    [InlineData("""{"model":"m","stream":true,"stream_options":{"include_usage":null},"messages":[{}]}""")]
    public void Stream_AnyShapeOfOptions_EndsWithUsageOn(string json)
    {
        var body = Upstream(Valid(json));

        Assert.True((bool?)body["stream_options"]?["include_usage"]);
    }

    [Fact]
    public void Attempts_EachGetTheirOwnProvidersModel()
    {
        var request = Valid("""{"model":"m","stream":true,"messages":[{}]}""");

        var first = Upstream(request, "first-model");
        var second = Upstream(request, "second-model", "mistral");

        Assert.Equal("first-model", (string?)first["model"]);
        Assert.Equal("second-model", (string?)second["model"]);
        Assert.Single(second["stream_options"]!.AsObject());
    }
}
