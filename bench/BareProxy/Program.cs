// The floor of the load benchmark: the least a .NET gateway does per request (Kestrel in,
// HttpClient out, the model name swapped, the answer copied back), with none of Tollgate's work:
// no key, no budget, no ledger. bench/load.sh measures it in the same run as the gateway, so the
// gateway's cost reads as a ratio to what any Kestrel + HttpClient proxy pays on this machine.
//
//   dotnet bench/BareProxy/bin/Release/net10.0/BareProxy.dll --urls http://127.0.0.1:19090 \
//     --Upstream http://127.0.0.1:19001/openai/v1/chat/completions --Model bench-model=bench-upstream
using System.Net;
using System.Net.Http.Headers;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var upstream = new Uri(app.Configuration["Upstream"] ?? throw new InvalidOperationException("--Upstream is required."));
var models = (app.Configuration["Model"] ?? "bench-model=bench-upstream").Split('=');
var (from, to) = ("\"" + models[0] + "\"", "\"" + models[1] + "\"");
using var http = new HttpClient(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    MaxConnectionsPerServer = int.MaxValue,
});

app.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    using var reader = new StreamReader(context.Request.Body);
    var body = (await reader.ReadToEndAsync(context.RequestAborted)).Replace(from, to, StringComparison.Ordinal);
    using var request = new HttpRequestMessage(HttpMethod.Post, upstream) { Content = new StringContent(body) };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "bare-proxy");
    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
    context.Response.StatusCode = (int)response.StatusCode;
    context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
    context.Response.ContentLength = response.Content.Headers.ContentLength;
    await using var content = await response.Content.ReadAsStreamAsync(context.RequestAborted);
    await content.CopyToAsync(context.Response.Body, context.RequestAborted);
});

app.Run();
