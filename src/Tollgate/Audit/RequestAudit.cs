using System.Data.Common;
using Tollgate.Accounts;

namespace Tollgate.Audit;

/// <summary>
/// The audit log as seen from one management API request under <c>/orgs/{orgId}</c>: it knows the
/// org, the acting member and email, and the client IP, so a handler records a change with one call.
/// Handlers take it as a parameter (bound like <see cref="OrgMember"/>):
/// <code>
/// await audit.RecordAsync(connection, tx, "member.budget.update", new AuditTarget("member", memberId), before, after, ct);
/// </code>
/// </summary>
public sealed class RequestAudit
{
    private readonly AuditLog _log;

    private RequestAudit(AuditLog log, string orgId, AuditActor actor, string? ip)
    {
        _log = log;
        OrgId = orgId;
        Actor = actor;
        Ip = ip;
    }

    /// <summary>The org of the request.</summary>
    public string OrgId { get; }

    /// <summary>The acting member.</summary>
    public AuditActor Actor { get; }

    /// <summary>The client's IP address.</summary>
    public string? Ip { get; }

    /// <summary>Minimal API binding: null (and so a 404 from the membership filter first) outside an org the caller belongs to.</summary>
    public static async ValueTask<RequestAudit?> BindAsync(HttpContext context)
    {
        var member = await OrgMembership.ResolveAsync(context);
        var user = (await SessionAuthentication.ResolveAsync(context)).User;
        return member is null
            ? null
            : new RequestAudit(context.RequestServices.GetRequiredService<AuditLog>(), member.OrgId, new AuditActor(member.MemberId, user?.Email), ClientIp(context));
    }

    /// <summary>The audit view of a change made from a dashboard page: the page's member, email and client IP.</summary>
    internal static RequestAudit For(AuditLog log, OrgMember member, string? email, string? ip) =>
        new(log, member.OrgId, new AuditActor(member.MemberId, email), ip);

    /// <summary>The client IP of a request, as text.</summary>
    public static string? ClientIp(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    /// <summary>Records a change inside the caller's transaction (see <see cref="AuditLog.RecordAsync(DbConnection, DbTransaction?, string, AuditActor, string, AuditTarget, object?, object?, string?, CancellationToken)"/>).</summary>
    public Task<AuditEntry> RecordAsync(
        DbConnection connection, DbTransaction? transaction, string action, AuditTarget target, object? before, object? after, CancellationToken ct) =>
        _log.RecordAsync(connection, transaction, OrgId, Actor, action, target, before, after, Ip, ct);

    /// <summary>Records a change that has already committed, on a connection of its own.</summary>
    public Task<AuditEntry> RecordAsync(string action, AuditTarget target, object? before, object? after, CancellationToken ct) =>
        _log.RecordAsync(OrgId, Actor, action, target, before, after, Ip, ct);
}
