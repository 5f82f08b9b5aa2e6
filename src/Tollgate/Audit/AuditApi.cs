using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Accounts;

namespace Tollgate.Audit;

/// <summary><c>GET /orgs/{orgId}/audit-logs</c> (JSON pages or a CSV export) and <c>.../verify</c>.</summary>
internal static class AuditApi
{
    private const string ForbiddenMessage = "Only owners, admins and billing members can read the audit log.";

    // A CSV export is one answer, not pages; this bounds its size.
    private const int MaxExportRows = 100_000;

    /// <summary>An entry as the API shows it.</summary>
    internal sealed record EntryResponse(
        string Id, string At, AuditActor Actor, string Action, AuditTarget Target, JsonElement? Before, JsonElement? After, string? Ip, string Hash);

    /// <summary>Maps <c>/orgs/{orgId}/audit-logs</c>.</summary>
    public static void Map(RouteGroupBuilder auditLogs)
    {
        auditLogs.MapGet("", ListAsync);
        auditLogs.MapGet("/verify", VerifyAsync);
    }

    private static async Task<IResult> ListAsync(
        OrgMember member, string? from, string? to, string? actor, string? action, string? format, string? limit, string? cursor,
        AuditLog log, OrgStore orgs, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ViewAuditLog))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        var errors = new FieldErrors();
        var csv = format is "csv";
        if (format is not (null or "" or "json" or "csv"))
        {
            errors.Add("format", "format must be json or csv.");
        }

        if (!Paging.TryParse(limit, null, out var paging, out var pagingError))
        {
            errors.Add("limit", pagingError!);
        }

        long? beforeSeq = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            {
                beforeSeq = seq;
            }
            else
            {
                errors.Add("cursor", "cursor is not one this API returned.");
            }
        }

        var fromMs = Instant(errors, "from", from);
        var toMs = Instant(errors, "to", to);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        if (csv && await orgs.FindOrgAsync(member.OrgId, ct) is { } org
            && PlanPolicy.Require(org.Plan, PlanPolicy.Feature.AuditLogExport) is { } planProblem)
        {
            return planProblem;
        }

        var query = new AuditQuery(fromMs, toMs, NullIfEmpty(actor), NullIfEmpty(action), beforeSeq, csv ? MaxExportRows : paging.Limit);
        var rows = await log.ListAsync(member.OrgId, query, ct);
        if (csv)
        {
            return TypedResults.Text(ToCsv(rows.Take(MaxExportRows)), "text/csv", Encoding.UTF8);
        }

        var page = rows.Take(paging.Limit).Select(ToResponse).ToArray();
        var next = rows.Count > paging.Limit ? rows[paging.Limit - 1].Seq.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new Page<EntryResponse>(page, next));
    }

    private static async Task<Results<Ok<AuditVerification>, ProblemHttpResult>> VerifyAsync(OrgMember member, AuditLog log, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ViewAuditLog))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        return TypedResults.Ok(await log.VerifyAsync(member.OrgId, ct));
    }

    private static long? Instant(FieldErrors errors, string field, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return (field == "to" ? start.AddDays(1) : start).ToUnixTimeMilliseconds();
        }

        if (ApiTime.TryParse(text, out var ms))
        {
            return ms;
        }

        errors.Add(field, $"{field} must be an ISO 8601 date (2026-07-01) or time with an offset.");
        return null;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

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

    private static string ToCsv(IEnumerable<AuditEntry> rows)
    {
        var csv = new StringBuilder("id,at,actorMemberId,actorEmail,action,targetType,targetId,before,after,ip,hash\r\n");
        foreach (var e in rows)
        {
            string?[] fields = [e.Id, ApiTime.FromUnixMs(e.At), e.ActorMemberId, e.ActorEmail, e.Action, e.TargetType, e.TargetId, e.BeforeJson, e.AfterJson, e.Ip, e.Hash];
            csv.AppendJoin(',', fields.Select(Quote)).Append("\r\n");
        }

        return csv.ToString();
    }

    // RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula.
    private static string Quote(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
