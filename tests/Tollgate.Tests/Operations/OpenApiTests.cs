using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Operations;

/// <summary><c>/openapi.json</c> describes every route the server maps, and <c>/docs</c> renders it offline.</summary>
public sealed class OpenApiTests
{
    [Fact]
    public async Task OpenApiDocument_ListsEveryMappedRoute()
    {
        await using var server = await TollgateServer.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        using var doc = JsonDocument.Parse(await server.Client.GetStringAsync("openapi.json", ct));
        var paths = doc.RootElement.GetProperty("paths");
        var documented = paths.EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .ToHashSet(StringComparer.Ordinal);

        var mapped = Routes(server).ToList();
        Assert.True(mapped.Count > 60, $"only {mapped.Count} routes found");
        var missing = mapped.Where(r => !documented.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "not in /openapi.json:\n" + string.Join('\n', missing));
    }

    /// <summary>
    /// Every API route: "METHOD /path/{param}". Left out by rule, since they are not API: the dashboard's
    /// pages (Blazor components), static files and the file fallback, the framework's own <c>/_</c>
    /// endpoints, and the reference itself (the document and the page under <c>/docs</c>).
    /// </summary>
    internal static IEnumerable<string> Routes(TollgateServer server)
    {
        var sources = ((IEndpointRouteBuilder)server.App).DataSources;
        foreach (var endpoint in sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            var isPage = endpoint.Metadata.Any(m => m.GetType().FullName == "Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata");
            var isFile = endpoint.Metadata.Any(m => m.GetType().Name == "StaticAssetDescriptor")
                || (endpoint.Metadata.Any(m => m.GetType().Name == "FallbackMetadata") && endpoint.RoutePattern.ParameterPolicies.Values.SelectMany(p => p).Any(p => p.Content == "file"));
            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(Segment));
            var isReference = path == Tollgate.Operations.ApiReference.DocumentPath
                || path.StartsWith(Tollgate.Operations.ApiReference.DocsPath + "/", StringComparison.Ordinal);
            if (isPage || isFile || isReference || path.StartsWith("/_", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
            {
                yield return $"{method} {path}";
            }
        }
    }

    private static string Segment(RoutePatternPathSegment segment) => string.Concat(segment.Parts.Select(part => part switch
    {
        RoutePatternLiteralPart literal => literal.Content,
        RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
        RoutePatternSeparatorPart separator => separator.Content,
        _ => "",
    }));
}
