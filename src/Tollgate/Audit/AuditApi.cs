using System.Globalization;
using System.Text;
using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Operations;

namespace Tollgate.Audit;

/// <summary><c>GET /orgs/{orgId}/audit-logs</c> (JSON pages or a CSV export) and <c>.../verify</c>, over <see cref="AuditService"/>.</summary>
internal static class AuditApi
{
    /// <summary>An entry as the API shows it.</summary>
    internal sealed record EntryResponse(
        string Id, string At, AuditActor Actor, string Action, AuditTarget Target, JsonElement? Before, JsonElement? After, string? Ip, string Hash);

    /// <summary>Maps <c>/orgs/{orgId}/audit-logs</c>.</summary>
    public static void Map(RouteGroupBuilder auditLogs)
    {
        auditLogs.MapGet("", async (OrgMember member, string? from, string? to, string? actor, string? action, string? format, string? limit, string? cursor,
            AuditService service, CancellationToken ct) =>
            (await service.ListAsync(member, from, to, actor, action, format, limit, cursor, ct)).ToResult(page =>
            {
                if (page.Csv)
                {
                    return TypedResults.Text(AuditService.ToCsv(page.Rows.Take(page.Limit)), "text/csv", Encoding.UTF8);
                }

                var data = page.Rows.Take(page.Limit).Select(ToResponse).ToArray();
                var next = page.Rows.Count > page.Limit ? page.Rows[page.Limit - 1].Seq.ToString(CultureInfo.InvariantCulture) : null;
                return TypedResults.Ok(new Page<EntryResponse>(data, next));
            }))
            .Answers<Page<EntryResponse>>().AlsoAnswersCsv().Refuses(400);
        auditLogs.MapGet("/verify", async (OrgMember member, AuditService service, CancellationToken ct) =>
            (await service.VerifyAsync(member, ct)).ToResult(v => TypedResults.Ok(v)))
            .Answers<AuditVerification>();
    }

    private static EntryResponse ToResponse(AuditEntry e) =>
        new(e.Id, ApiTime.FromUnixMs(e.At), new AuditActor(e.ActorMemberId, e.ActorEmail), e.Action,
            new AuditTarget(e.TargetType, e.TargetId), Parse(e.BeforeJson), Parse(e.AfterJson), e.Ip, e.Hash);

    private static JsonElement? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
