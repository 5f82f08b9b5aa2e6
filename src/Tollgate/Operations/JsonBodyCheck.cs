using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Tollgate.Operations;

/// <summary>
/// Checks the body of a management route that binds a JSON record before the framework binds it, so
/// that a bad body is answered with what is wrong: 415 naming the media type expected, or 400 problem
/// details whose <c>detail</c> says where the JSON breaks and whose <c>errors</c> name the field. The
/// framework's own answer to either is a bare <c>{"title":"Bad Request"}</c>. Gateway routes read their
/// bodies themselves and are not touched.
/// </summary>
internal static class JsonBodyCheck
{
    /// <summary>Adds the check; endpoints are already matched when it runs.</summary>
    public static WebApplication UseJsonBodyCheck(this WebApplication app)
    {
        app.Use((context, next) =>
            HasBodyMethod(context.Request.Method)
            && context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { RequestType: { } type } accepts
            && accepts.ContentTypes.Any(t => t.Contains("json", StringComparison.OrdinalIgnoreCase))
                ? CheckThenNextAsync(context, next, type, accepts)
                : next(context));
        return app;
    }

    private static async Task CheckThenNextAsync(HttpContext context, RequestDelegate next, Type type, IAcceptsMetadata accepts)
    {
        if (await CheckAsync(context, type, accepts).ConfigureAwait(false) is { } problem)
        {
            await problem.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private static bool HasBodyMethod(string method) => HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method);

    private static async Task<IResult?> CheckAsync(HttpContext context, Type type, IAcceptsMetadata accepts)
    {
        var request = context.Request;
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (!hasBody)
        {
            return accepts.IsOptional ? null : Tollgate.Accounts.AccountProblems.Validation("body", "The request body is empty; send a JSON object.");
        }

        if (!request.HasJsonContentType())
        {
            return JsonBody.UnsupportedMediaType(request.ContentType);
        }

        if (request.ContentLength > JsonBody.MaxBytes)
        {
            return null; // the framework's own limit answers
        }

        request.EnableBuffering();
        try
        {
            var options = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            _ = await JsonSerializer.DeserializeAsync(request.Body, type, options, context.RequestAborted).ConfigureAwait(false);
            return null;
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
            return Tollgate.Accounts.AccountProblems.Validation(field, JsonBody.Describe(ex));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NotSupportedException)
        {
            return Tollgate.Accounts.AccountProblems.Validation("body", "The request body is not valid UTF-8 JSON.");
        }
        finally
        {
            request.Body.Position = 0;
        }
    }
}
