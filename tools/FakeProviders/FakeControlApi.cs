using System.Text.Json;

namespace Tollgate.FakeProviders;

/// <summary><c>GET /_fake/stats</c> and <c>POST /_fake/reset</c>, for scripts driving a standalone fake.</summary>
internal static class FakeControlApi
{
    public static IEndpointRouteBuilder MapFakeControlApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/_fake/stats", WriteStatsAsync);
        app.MapPost("/_fake/reset", (HttpContext context) =>
        {
            context.RequestServices.GetRequiredService<FakeStats>().Reset();
            context.RequestServices.GetRequiredService<RequestLog>().Clear();
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
        return app;
    }

    private static async Task WriteStatsAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            context.RequestServices.GetRequiredService<FakeStats>().WriteTo(json);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
