using System.Globalization;
using System.Text;
using Tollgate.Accounts;

namespace Tollgate.Audit;

/// <summary>A page of audit entries, or (for an export) up to the export's bound.</summary>
internal sealed record AuditPage(IReadOnlyList<AuditEntry> Rows, bool Csv, int Limit);

/// <summary>
/// The audit log for the API and the dashboard alike: filtered pages, the CSV export (enterprise)
/// and verification of the hash chain; owner, admin and billing only.
/// </summary>
internal sealed class AuditService(AuditLog log, OrgStore orgs)
{
    private const string ForbiddenMessage = "Only owners, admins and billing members can read the audit log.";

    // A CSV export is one answer, not pages; this bounds its size.
    private const int MaxExportRows = 100_000;

    /// <summary>Entries newest first, filtered; <paramref name="format"/> <c>csv</c> is the export (enterprise plan).</summary>
    public async Task<Outcome<AuditPage>> ListAsync(
        OrgMember member, string? from, string? to, string? actor, string? action, string? format, string? limit, string? cursor, CancellationToken ct)
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
        return new AuditPage(await log.ListAsync(member.OrgId, query, ct), csv, csv ? MaxExportRows : paging.Limit);
    }

    /// <summary>Recomputes the org's hash chain.</summary>
    public async Task<Outcome<AuditVerification>> VerifyAsync(OrgMember member, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ViewAuditLog))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        return await log.VerifyAsync(member.OrgId, ct);
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

    /// <summary>The CSV export: one line per entry, RFC 4180 quoting.</summary>
    public static string ToCsv(IEnumerable<AuditEntry> rows)
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
