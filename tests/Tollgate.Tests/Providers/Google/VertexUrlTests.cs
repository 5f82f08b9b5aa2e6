using Tollgate.Providers;
using Tollgate.Providers.Google;

namespace Tollgate.Tests.Providers.Google;

/// <summary>Vertex model URLs: regional and global hosts, a configured base URL, Claude versus Gemini.</summary>
public sealed class VertexUrlTests
{
    private static ProviderEndpoint Vertex(string location, string baseUrl = VertexUrls.DefaultRoot) =>
        new("vertex", ProviderProtocol.Vertex, baseUrl, null, true) { ProjectId = "acme-prod", Location = location, ServiceAccountJson = "{}" };

    [Theory]
    [InlineData("us-central1", VertexUrls.DefaultRoot, "google", "gemini-3-pro", ":generateContent",
        "https://us-central1-aiplatform.googleapis.com/v1/projects/acme-prod/locations/us-central1/publishers/google/models/gemini-3-pro:generateContent")]
    [InlineData("global", VertexUrls.DefaultRoot, "google", "gemini-3-pro", ":streamGenerateContent?alt=sse",
        "https://aiplatform.googleapis.com/v1/projects/acme-prod/locations/global/publishers/google/models/gemini-3-pro:streamGenerateContent?alt=sse")]
    [InlineData("europe-west1", VertexUrls.DefaultRoot, "anthropic", "claude-sonnet-5", ":rawPredict",
        "https://europe-west1-aiplatform.googleapis.com/v1/projects/acme-prod/locations/europe-west1/publishers/anthropic/models/claude-sonnet-5:rawPredict")]
    [InlineData("us-east5", "http://127.0.0.1:9001", "anthropic", "claude-sonnet-5@20260101", ":streamRawPredict",
        "http://127.0.0.1:9001/v1/projects/acme-prod/locations/us-east5/publishers/anthropic/models/claude-sonnet-5@20260101:streamRawPredict")]
    public void Model_BuildsTheUrlForTheLocationAndHost(string location, string baseUrl, string publisher, string model, string method, string expected) =>
        Assert.Equal(expected, VertexUrls.Model(Vertex(location, baseUrl), publisher, model, method));

    [Theory]
    [InlineData("claude-sonnet-5", true)]
    [InlineData("claude-fable-5@20260601", true)]
    [InlineData("gemini-3-pro", false)]
    [InlineData("gemini-3.1-flash-lite", false)]
    public void IsClaude_ByTheProviderModelIdPrefix(string id, bool claude) => Assert.Equal(claude, VertexUrls.IsClaude(id));

    [Fact]
    public void Model_WithoutProject_IsAConnectionLevelFailureNotACrash()
    {
        var endpoint = Vertex("us-central1") with { ProjectId = null };

        var error = Assert.Throws<HttpRequestException>(() => VertexUrls.Model(endpoint, "google", "gemini-3-pro", ":generateContent"));

        Assert.Contains("ProjectId", error.Message, StringComparison.Ordinal);
    }
}
