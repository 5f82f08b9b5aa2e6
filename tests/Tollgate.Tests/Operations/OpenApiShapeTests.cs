using System.Net;
using System.Text.Json;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Operations;

/// <summary>
/// <c>/openapi.json</c> gives every management route its request body and its answers, and the shapes it
/// declares are the ones the server sends: the property names of real answers are the schema's.
/// </summary>
public sealed class OpenApiShapeTests
{
    /// <summary>Management routes that take no body (their POST is an action on the path alone).</summary>
    private static readonly HashSet<string> Bodiless = new(StringComparer.Ordinal)
    {
        "POST /auth/logout", "POST /orgs/{orgId}/keys/{keyId}/rotate", "POST /invites/{token}/accept",
    };

    private static bool IsManagement(string path) =>
        path is "/me" || path.StartsWith("/auth/", StringComparison.Ordinal) || path.StartsWith("/orgs", StringComparison.Ordinal)
        || path.StartsWith("/invites/", StringComparison.Ordinal) || path.StartsWith("/analytics/", StringComparison.Ordinal)
        || path.StartsWith("/v1/master/", StringComparison.Ordinal) || path.StartsWith("/v1/usage/", StringComparison.Ordinal) || path == "/v1/key";

    [Fact]
    public async Task EveryManagementRoute_DeclaresItsJsonBody_AndASuccessAnswer()
    {
        await using var server = await TollgateServer.StartAsync();
        using var document = await DocumentAsync(server.Client);
        var root = document.RootElement;
        var missing = new List<string>();
        var checkedRoutes = 0;

        foreach (var path in root.GetProperty("paths").EnumerateObject().Where(p => IsManagement(p.Name)))
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                var route = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                checkedRoutes++;
                var successes = operation.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('2')).ToList();
                var answers = successes.Any(r => r.Name == "204"
                    || (r.Value.TryGetProperty("content", out var content) && content.EnumerateObject().Any(c => c.Value.TryGetProperty("schema", out _))));
                if (!answers)
                {
                    missing.Add($"{route}: no success response with content (or 204)");
                }

                if (operation.Name is "post" or "put" or "patch" && !Bodiless.Contains(route))
                {
                    var properties = operation.Value.TryGetProperty("requestBody", out var body)
                        && body.TryGetProperty("content", out var bodyContent) && bodyContent.TryGetProperty("application/json", out var json)
                        && json.TryGetProperty("schema", out var schema)
                            ? Properties(root, schema).Count
                            : 0;
                    if (properties == 0)
                    {
                        missing.Add($"{route}: no application/json request body with properties");
                    }
                }
            }
        }

        Assert.True(checkedRoutes > 60, $"only {checkedRoutes} management routes in the document");
        Assert.True(missing.Count == 0, string.Join('\n', missing));
    }

    [Fact]
    public async Task RealAnswers_HaveExactlyThePropertiesTheSchemaDeclares()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var ct = TestContext.Current.CancellationToken;
        using var owner = host.Server.CreateClient(host.Token);
        using var document = await DocumentAsync(host.Server.Client);
        var root = document.RootElement;
        var org = host.OrgId;

        // Usage to report, a budget to show, a transaction to list.
        using (var gateway = host.GatewayClient())
        using (var chat = await gateway.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "shape me"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }

        await host.WaitForLedgerAsync(1);
        var me = (await RawCalls.SendAsync(owner, HttpMethod.Get, $"orgs/{org}/members/me", (byte[]?)null)).Json.GetProperty("memberId").GetString();
        Assert.Equal(HttpStatusCode.OK, (await RawCalls.SendAsync(owner, HttpMethod.Put, $"orgs/{org}/members/{me}/budget",
            """{"spend":{"type":"monthly","limit":"50"},"period":{"type":"rolling","limit":"5","window":"day"},"maxActiveKeys":{"type":"limit","value":3}}""")).Status);
        Assert.Equal(HttpStatusCode.Created, (await RawCalls.SendAsync(owner, HttpMethod.Post, $"orgs/{org}/credits/purchase", """{"amount":"10"}""")).Status);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var samples = new (string Method, string Template, string Path, string? Body, HttpStatusCode Status)[]
        {
            ("GET", "/orgs/{orgId}/members", $"orgs/{org}/members", null, HttpStatusCode.OK),
            ("POST", "/orgs/{orgId}/keys", $"orgs/{org}/keys", $$"""{"projectId":"{{host.ProjectId}}","name":"shapes"}""", HttpStatusCode.Created),
            ("GET", "/orgs/{orgId}/members/{memberId}/budget", $"orgs/{org}/members/{me}/budget", null, HttpStatusCode.OK),
            ("GET", "/orgs/{orgId}/keys/{keyId}/usage", $"orgs/{org}/keys/{host.KeyId}/usage", null, HttpStatusCode.OK),
            ("GET", "/analytics/activity", $"analytics/activity?organizationId={org}&from={today}&to={today}", null, HttpStatusCode.OK),
            ("GET", "/orgs/{orgId}/transactions", $"orgs/{org}/transactions", null, HttpStatusCode.OK),
            ("GET", "/orgs/{orgId}/budgets", $"orgs/{org}/budgets", null, HttpStatusCode.OK),
            ("GET", "/orgs/{orgId}/alerts", $"orgs/{org}/alerts", null, HttpStatusCode.OK),
            ("POST", "/orgs/{orgId}/keys", $"orgs/{org}/keys", """{"name":""}""", HttpStatusCode.BadRequest),
        };
        var mismatches = new List<string>();
        foreach (var (method, template, path, body, status) in samples)
        {
            var answer = await RawCalls.SendAsync(owner, new HttpMethod(method), path, body is null ? null : System.Text.Encoding.UTF8.GetBytes(body));
            Assert.True(answer.Status == status, $"{method} {path}: {(int)answer.Status} {answer.Text}");
            var schema = ResponseSchema(root, method, template, ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Compare(root, answer.Json, schema, $"{method} {template} {(int)status}", mismatches);
        }

        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
    }

    private static async Task<JsonDocument> DocumentAsync(HttpClient client)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return JsonDocument.Parse(await client.GetStringAsync("openapi.json", cts.Token));
    }

    private static JsonElement ResponseSchema(JsonElement root, string method, string template, string status)
    {
        var operation = root.GetProperty("paths").GetProperty(template).GetProperty(method.ToLowerInvariant());
        var content = operation.GetProperty("responses").GetProperty(status).GetProperty("content");
        var media = content.EnumerateObject().First(c => c.Name.Contains("json", StringComparison.Ordinal));
        return media.Value.GetProperty("schema");
    }

    /// <summary>
    /// Walks an answer beside its schema: at every object, each property sent is declared, and each
    /// declared property is sent unless the schema lets it be null (a field the server leaves out when null).
    /// </summary>
    private static void Compare(JsonElement root, JsonElement value, JsonElement schema, string where, List<string> mismatches)
    {
        schema = Resolve(root, schema);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when schema.TryGetProperty("properties", out var declared):
                var sent = value.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                var names = declared.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var extra in sent.Where(n => !names.Contains(n)))
                {
                    mismatches.Add($"{where}: '{extra}' is sent but not declared");
                }

                foreach (var absent in names.Where(n => !sent.Contains(n) && !Nullable(declared.GetProperty(n))))
                {
                    mismatches.Add($"{where}: '{absent}' is declared (not nullable) but not sent");
                }

                foreach (var property in value.EnumerateObject().Where(p => names.Contains(p.Name)))
                {
                    Compare(root, property.Value, declared.GetProperty(property.Name), $"{where}.{property.Name}", mismatches);
                }

                break;
            case JsonValueKind.Object when schema.TryGetProperty("additionalProperties", out var values) && values.ValueKind == JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    Compare(root, property.Value, values, $"{where}[{property.Name}]", mismatches);
                }

                break;
            case JsonValueKind.Object:
                mismatches.Add($"{where}: an object is sent but the schema declares no properties");
                break;
            case JsonValueKind.Array when schema.TryGetProperty("items", out var items):
                foreach (var item in value.EnumerateArray())
                {
                    Compare(root, item, items, $"{where}[]", mismatches);
                }

                break;
        }
    }

    /// <summary>The schema itself: <c>$ref</c>s followed, and a nullable <c>oneOf</c>/<c>anyOf</c> reduced to its non-null branch.</summary>
    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        for (var depth = 0; depth < 16; depth++)
        {
            if (schema.TryGetProperty("$ref", out var reference))
            {
                var name = reference.GetString()!.Split('/')[^1];
                schema = root.GetProperty("components").GetProperty("schemas").GetProperty(name);
                continue;
            }

            var branch = new[] { "oneOf", "anyOf", "allOf" }
                .Where(k => schema.TryGetProperty(k, out _))
                .SelectMany(k => schema.GetProperty(k).EnumerateArray())
                .FirstOrDefault(b => !IsNullType(b));
            if (branch.ValueKind == JsonValueKind.Object && !schema.TryGetProperty("properties", out _))
            {
                schema = branch;
                continue;
            }

            return schema;
        }

        return schema;
    }

    private static IReadOnlyCollection<string> Properties(JsonElement root, JsonElement schema) =>
        Resolve(root, schema).TryGetProperty("properties", out var properties) ? [.. properties.EnumerateObject().Select(p => p.Name)] : [];

    private static bool IsNullType(JsonElement schema) =>
        schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "null";

    private static bool Nullable(JsonElement schema)
    {
        if (schema.TryGetProperty("nullable", out var flag) && flag.ValueKind == JsonValueKind.True)
        {
            return true;
        }

        if (schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.Array
            && type.EnumerateArray().Any(t => t.GetString() == "null"))
        {
            return true;
        }

        foreach (var key in new[] { "oneOf", "anyOf" })
        {
            if (schema.TryGetProperty(key, out var branches) && branches.EnumerateArray().Any(IsNullType))
            {
                return true;
            }
        }

        return false;
    }
}
