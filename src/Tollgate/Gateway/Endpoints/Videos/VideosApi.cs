using System.Globalization;
using System.Text.Json.Nodes;
using Tollgate.Accounts;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;

namespace Tollgate.Gateway.Endpoints.Videos;

/// <summary>
/// The OpenAI Videos routes. <c>POST /v1/videos</c> runs the gateway pipeline (admitted, held, charged when
/// the job ends); the reads — <c>GET /v1/videos/{id}</c>, <c>GET /v1/videos/{id}/content</c>,
/// <c>GET /v1/videos</c> — and <c>DELETE /v1/videos/{id}</c> are never billed, and see only the caller's
/// org's jobs: another org's id is a 404 in OpenAI's error shape.
/// </summary>
internal static class VideosApi
{
    /// <summary>The largest page <c>GET /v1/videos</c> returns.</summary>
    private const int MaxPage = 100;

    /// <summary>Registers the video job services and the poller.</summary>
    public static IServiceCollection AddVideoJobs(this IServiceCollection services)
    {
        services.AddSingleton<VideoCreateEndpoint>();
        services.AddSingleton<VideoJobStore>();
        services.AddSingleton<VideoJobs>();
        services.AddHostedService<VideoJobPoller>();
        return services;
    }

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapVideosApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/videos", (HttpContext context, GatewayPipeline pipeline, VideoCreateEndpoint endpoint) => pipeline.RunAsync(context, endpoint));
        app.MapGet("/v1/videos", ListAsync);
        app.MapGet("/v1/videos/{id}", GetAsync);
        app.MapGet("/v1/videos/{id}/content", ContentAsync);
        app.MapDelete("/v1/videos/{id}", DeleteAsync);
        return app;
    }

    private static async Task GetAsync(string id, HttpContext context, ApiKeyAuthenticator authenticator, VideoJobStore store, VideoJobs jobs)
    {
        if (await FindAsync(id, context, authenticator, store).ConfigureAwait(false) is not { } job)
        {
            return;
        }

        if (!job.IsOpen)
        {
            await VideoJobs.WriteJsonAsync(context, StatusCodes.Status200OK, job.ObjectJson).ConfigureAwait(false);
            return;
        }

        // An open job is looked at now; when it has ended, this read settles it (once, whoever else sees it end).
        await UpstreamAsync(context, async () =>
        {
            var (status, body) = await jobs.RefreshAsync(job, context.RequestAborted).ConfigureAwait(false);
            await VideoJobs.WriteJsonAsync(context, status, body).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private static async Task ContentAsync(string id, HttpContext context, ApiKeyAuthenticator authenticator, VideoJobStore store, VideoJobs jobs)
    {
        if (await FindAsync(id, context, authenticator, store).ConfigureAwait(false) is not { } job)
        {
            return;
        }

        var variant = context.Request.Query["variant"].ToString();
        if (variant.Length > 0 && variant is not ("video" or "thumbnail" or "spritesheet"))
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response,
                GatewayError.BadRequest("invalid_value", $"'variant' must be one of video, thumbnail, spritesheet (got '{variant}').", "variant")).ConfigureAwait(false);
            return;
        }

        await UpstreamAsync(context, () => jobs.RelayContentAsync(job, variant.Length == 0 ? null : variant, context)).ConfigureAwait(false);
    }

    private static async Task DeleteAsync(string id, HttpContext context, ApiKeyAuthenticator authenticator, VideoJobStore store, VideoJobs jobs)
    {
        if (await FindAsync(id, context, authenticator, store).ConfigureAwait(false) is not { } job)
        {
            return;
        }

        await UpstreamAsync(context, async () =>
        {
            if (await jobs.DeleteAsync(job, context.RequestAborted).ConfigureAwait(false) is var (status, body))
            {
                await VideoJobs.WriteJsonAsync(context, status, body).ConfigureAwait(false);
                return;
            }

            var deleted = new JsonObject { ["id"] = job.Id, ["object"] = "video.deleted", ["deleted"] = true };
            await VideoJobs.WriteJsonAsync(context, StatusCodes.Status200OK, deleted.ToJsonString()).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private static async Task ListAsync(HttpContext context, ApiKeyAuthenticator authenticator, VideoJobStore store)
    {
        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (auth.Identity is not { } identity)
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.FromAuth(auth)).ConfigureAwait(false);
            return;
        }

        var query = context.Request.Query;
        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } rawLimit
            && (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPage))
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response,
                GatewayError.BadRequest("invalid_value", $"'limit' must be an integer from 1 to {MaxPage}.", "limit")).ConfigureAwait(false);
            return;
        }

        var order = query["order"].ToString();
        if (order.Length > 0 && order is not ("asc" or "desc"))
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response,
                GatewayError.BadRequest("invalid_value", "'order' must be asc or desc.", "order")).ConfigureAwait(false);
            return;
        }

        var after = query["after"].ToString();
        var page = await store.ListAsync(identity.OrgId, after.Length == 0 ? null : after, order == "asc", limit + 1, context.RequestAborted).ConfigureAwait(false);
        var hasMore = page.Count > limit;
        var data = new JsonArray();
        foreach (var job in page.Take(limit))
        {
            data.Add(JsonNode.Parse(job.ObjectJson));
        }

        var list = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["first_id"] = page.Count == 0 ? null : page[0].Id,
            ["last_id"] = page.Count == 0 ? null : page[Math.Min(limit, page.Count) - 1].Id,
            ["has_more"] = hasMore,
        };
        await VideoJobs.WriteJsonAsync(context, StatusCodes.Status200OK, list.ToJsonString()).ConfigureAwait(false);
    }

    /// <summary>Runs a call to the provider; an unreachable or silent provider is a 502 or 504 in OpenAI's error shape.</summary>
    private static async Task UpstreamAsync(HttpContext context, Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted
            && ex is HttpRequestException or IOException or TimeoutException)
        {
            var (status, code) = ex is TimeoutException ? (StatusCodes.Status504GatewayTimeout, "upstream_timeout") : (StatusCodes.Status502BadGateway, "upstream_unreachable");
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.Upstream(status, code, ex is TimeoutException
                ? ex.Message : "The video's provider could not be reached.")).ConfigureAwait(false);
        }
    }

    /// <summary>The caller's org's job, or null with the 401/404 already written.</summary>
    private static async Task<VideoJob?> FindAsync(string id, HttpContext context, ApiKeyAuthenticator authenticator, VideoJobStore store)
    {
        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (auth.Identity is not { } identity)
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, GatewayError.FromAuth(auth)).ConfigureAwait(false);
            return null;
        }

        if (await store.FindAsync(identity.OrgId, id, context.RequestAborted).ConfigureAwait(false) is not { } job)
        {
            await OpenAIErrorFormat.Instance.WriteAsync(context.Response, new GatewayError(StatusCodes.Status404NotFound, "invalid_request_error",
                "video_not_found", $"No video with id '{id}' was found.", "video_id")).ConfigureAwait(false);
            return null;
        }

        return job;
    }
}
