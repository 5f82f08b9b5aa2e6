using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Audit;
using Tollgate.Budgets;

namespace Tollgate.Accounts;

/// <summary>A member's budget as admission enforces it, with their active key count.</summary>
internal sealed record MemberBudget(MemberBudgetView View, long ActiveKeys);

/// <summary>A page of members with what the caller may see of their usage and budgets.</summary>
internal sealed record MemberList(
    IReadOnlyList<MemberStore.MemberDetail> Rows, Paging Paging, IReadOnlyDictionary<string, MemberStore.MemberUsage>? Usage,
    (long From, long To) Range, IReadOnlyDictionary<string, MemberBudget>? Budgets);

/// <summary>One member with usage over a range and budget.</summary>
internal sealed record MemberView(MemberStore.MemberDetail Row, MemberStore.MemberUsage Usage, (long From, long To) Range, MemberBudget? Budget);

/// <summary>
/// Members, invites and the roles matrix of an org, for the API and the dashboard alike. Who may do
/// what comes from <see cref="RolePolicy"/>; a developer or basic member sees only their own
/// membership, and other members' ids are "not found" for them, as ids of other orgs are.
/// </summary>
internal sealed class MemberService(
    MemberStore members, InviteStore invites, OrgStore orgs, BudgetEngine budgets, Tollgate.Storage.Database db, TimeProvider time)
{
    /// <summary>404 detail for a member the caller cannot see.</summary>
    public const string NotFoundMessage = "Member not found.";

    /// <summary>404 detail for an invite the caller cannot see.</summary>
    public const string InviteNotFoundMessage = "Invite not found.";

    private const string ManageForbiddenMessage = "Only owners and admins can invite members, change roles or grant projects.";
    private const string RemoveForbiddenMessage = "Only owners and admins can remove members.";
    private const string OwnersOnlyMessage = "Only owners can change or remove owners, or make members owners.";
    private const string LastOwnerMessage = "An org must keep at least one owner; make another member owner first.";
    private const string DeveloperNeedsProjectMessage = "A developer must be granted at least one project.";

    private static readonly TimeSpan DefaultUsageRange = TimeSpan.FromDays(30);

    // :: Members ---------------------------------------------------------------------------

    /// <summary>
    /// The members the caller may see (developers and basic members: only themselves), with usage over
    /// the range for roles and plans that see it, and every member's budget for roles that manage budgets.
    /// </summary>
    public Task<Outcome<MemberList>> ListAsync(OrgMember member, string? from, string? to, string? limit, string? cursor, CancellationToken ct) =>
        ListAsync(member, from, to, limit, cursor, withUsage: true, ct);

    /// <summary>
    /// <see cref="ListAsync(OrgMember, string?, string?, string?, string?, CancellationToken)"/>; without
    /// <paramref name="withUsage"/> the usage is left out (null) even for roles that see it: the org's
    /// usage is the same on every page, so a caller walking all pages reads it once.
    /// </summary>
    public async Task<Outcome<MemberList>> ListAsync(
        OrgMember member, string? from, string? to, string? limit, string? cursor, bool withUsage, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!Paging.TryParse(limit, cursor, out var paging, out var pagingError))
        {
            errors.Add("limit", pagingError!);
        }

        var range = UsageRange(errors, from, to);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        // Developers and basic members see only themselves.
        var onlySelf = RolePolicy.Can(member.Role, Capability.ViewMembers) ? null : member.MemberId;
        var rows = await members.ListAsync(member.OrgId, onlySelf, paging, ct);
        IReadOnlyDictionary<string, MemberStore.MemberUsage>? usage = null;
        if (withUsage && RolePolicy.Can(member.Role, Capability.ViewMemberUsage)
            && await orgs.FindOrgAsync(member.OrgId, ct) is { } org && PlanPolicy.Has(org.Plan, PlanPolicy.Feature.MemberUsage))
        {
            usage = await members.UsageAsync(member.OrgId, range.From, range.To, ct);
        }

        // Owners, admins and billing see every member's effective limits with their source (roles.md).
        // The page's budget views are read together (on PostgreSQL, a few round trips for the whole
        // page, not one transaction per member) and its active key counts come from one query.
        Dictionary<string, MemberBudget>? limits = null;
        if (RolePolicy.Can(member.Role, Capability.ManageBudgets))
        {
            var activeKeys = await ActiveKeysAsync(member.OrgId, ct);
            var views = await budgets.ViewMembersAsync(rows.Take(paging.Limit).Select(r => r.Id), ct);
            limits = views.ToDictionary(v => v.Key, v => new MemberBudget(v.Value, activeKeys.GetValueOrDefault(v.Key)), StringComparer.Ordinal);
        }

        return new MemberList(rows, paging, usage, range, limits);
    }

    /// <summary>Active keys now per member of the org (the count <see cref="BudgetStore.ActiveKeysAsync"/> gives one member).</summary>
    private async Task<Dictionary<string, long>> ActiveKeysAsync(string orgId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await BudgetStore.ActiveKeysOfOrgAsync(connection, orgId, time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>The member's budget as <c>GET .../budget</c> answers it (the numbers admission enforces).</summary>
    private async Task<MemberBudget?> BudgetOfAsync(string memberId, CancellationToken ct)
    {
        if (await budgets.ViewMemberAsync(memberId, ct) is not { } view)
        {
            return null;
        }

        await using var connection = await db.OpenAsync(ct);
        return new MemberBudget(view, await BudgetStore.ActiveKeysAsync(connection, null, memberId, time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    /// <summary>The caller's own membership with usage over the range and their budget.</summary>
    public async Task<Outcome<MemberView>> GetMeAsync(OrgMember member, string? from, string? to, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var range = UsageRange(errors, from, to);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var row = await members.FindAsync(member.OrgId, member.MemberId, ct);
        if (row is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        // Own usage, limits and remaining allowance are every member's to see.
        var usage = await members.UsageAsync(member.OrgId, range.From, range.To, ct);
        return new MemberView(row, usage.GetValueOrDefault(row.Id) ?? new MemberStore.MemberUsage(0, 0, 0, 0, 0), range, await BudgetOfAsync(member.MemberId, ct));
    }

    /// <summary>A member the caller may see.</summary>
    public async Task<Outcome<MemberStore.MemberDetail>> GetAsync(OrgMember member, string memberId, CancellationToken ct) =>
        await FindVisibleAsync(member, memberId, ct) is { } row ? row : AccountProblems.NotFound(NotFoundMessage);

    /// <summary>Changes a member's role and granted projects (owner, admin; owners only by owners).</summary>
    public async Task<Outcome<MemberStore.MemberDetail>> UpdateAsync(OrgMember member, RequestAudit audit, string memberId, UpdateMemberRequest body, CancellationToken ct)
    {
        var target = await FindVisibleAsync(member, memberId, ct);
        if (target is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!RolePolicy.Can(member.Role, Capability.ManageMembers))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        var errors = new FieldErrors();
        if (body.Role is not null && !RolePolicy.IsRole(body.Role))
        {
            errors.Add("role", $"role must be one of {string.Join(", ", RolePolicy.Roles)}.");
        }

        var role = body.Role ?? target.Role;
        var projectIds = body.ProjectIds ?? target.ProjectIds;
        if (!errors.Any && role == OrgRoles.Developer && projectIds.Count == 0)
        {
            errors.Add("projectIds", DeveloperNeedsProjectMessage);
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        if (!RolePolicy.Can(member.Role, Capability.ManageOwners) && (target.Role == OrgRoles.Owner || role == OrgRoles.Owner))
        {
            return AccountProblems.Forbidden(OwnersOnlyMessage);
        }

        if (body.Role == OrgRoles.Developer && target.Role != OrgRoles.Developer
            && await RequirePlanAsync(orgs, member.OrgId, PlanPolicy.Feature.ProjectScopedDeveloper, ct) is { } planProblem)
        {
            return planProblem;
        }

        if (body.ProjectIds is not null && await FirstMissingProjectAsync(orgs, member.OrgId, body.ProjectIds, ct) is not null)
        {
            return AccountProblems.NotFound(ProjectService.NotFoundMessage);
        }

        var (outcome, updated) = await members.UpdateAsync(
            member.OrgId, memberId, body.Role, body.ProjectIds, RolePolicy.Can(member.Role, Capability.ManageOwners), audit, ct);
        return outcome switch
        {
            MemberStore.ChangeOutcome.Done when updated is not null => updated,
            MemberStore.ChangeOutcome.OwnersOnly => AccountProblems.Forbidden(OwnersOnlyMessage),
            MemberStore.ChangeOutcome.LastOwner => AccountProblems.Conflict(LastOwnerMessage),
            _ => AccountProblems.NotFound(NotFoundMessage),
        };
    }

    /// <summary>Removes a member (owner, admin; owners only by owners; never the last owner).</summary>
    public async Task<Outcome<Done>> RemoveAsync(OrgMember member, RequestAudit audit, string memberId, CancellationToken ct)
    {
        if (await FindVisibleAsync(member, memberId, ct) is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!RolePolicy.Can(member.Role, Capability.RemoveMembers))
        {
            return AccountProblems.Forbidden(RemoveForbiddenMessage);
        }

        return await members.RemoveAsync(member.OrgId, memberId, RolePolicy.Can(member.Role, Capability.ManageOwners), audit, ct) switch
        {
            MemberStore.ChangeOutcome.Done => Done.Value,
            MemberStore.ChangeOutcome.OwnersOnly => AccountProblems.Forbidden(OwnersOnlyMessage),
            MemberStore.ChangeOutcome.LastOwner => AccountProblems.Conflict(LastOwnerMessage),
            _ => AccountProblems.NotFound(NotFoundMessage),
        };
    }

    // :: Invites ---------------------------------------------------------------------------

    /// <summary>Invites someone by email with a role and projects (owner, admin); the token is in the answer only.</summary>
    public async Task<Outcome<(InviteStore.InviteRow Invite, string Token)>> CreateInviteAsync(OrgMember member, RequestAudit audit, CreateInviteRequest body, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageMembers))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        var errors = new FieldErrors();
        var email = errors.Email(body.Email);
        var role = errors.Required("role", body.Role);
        if (role is not null && !RolePolicy.IsRole(role))
        {
            errors.Add("role", $"role must be one of {string.Join(", ", RolePolicy.Roles)}.");
        }

        var projectIds = body.ProjectIds ?? [];
        if (role == OrgRoles.Developer && projectIds.Length == 0)
        {
            errors.Add("projectIds", DeveloperNeedsProjectMessage);
        }

        // Caps in the invite: whoever sets them must be one who may set member budgets (roles.md); the
        // document is judged by the budget API's parser, its field errors named under "budget.".
        BudgetDocument? caps = null;
        if (body.Budget is { ValueKind: not System.Text.Json.JsonValueKind.Null } budgetJson)
        {
            if (!RolePolicy.Can(member.Role, Capability.ManageBudgets))
            {
                return AccountProblems.Forbidden("Only owners, admins and billing members can change member budgets.");
            }

            var (document, budgetErrors) = BudgetDocument.Parse(budgetJson, keyBudget: false);
            foreach (var (field, messages) in budgetErrors)
            {
                foreach (var message in messages)
                {
                    errors.Add(field.Length == 0 ? "budget" : "budget." + field, message);
                }
            }

            // A document with every cap not set is no caps at all.
            caps = document is { Spend: null, Period: null, MaxActiveKeys: null } ? null : document;
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        if (role == OrgRoles.Owner && !RolePolicy.Can(member.Role, Capability.ManageOwners))
        {
            return AccountProblems.Forbidden(OwnersOnlyMessage);
        }

        if (role == OrgRoles.Developer && await RequirePlanAsync(orgs, member.OrgId, PlanPolicy.Feature.ProjectScopedDeveloper, ct) is { } planProblem)
        {
            return planProblem;
        }

        if (await FirstMissingProjectAsync(orgs, member.OrgId, projectIds, ct) is not null)
        {
            return AccountProblems.NotFound(ProjectService.NotFoundMessage);
        }

        if (await invites.IsMemberAsync(member.OrgId, email!, ct))
        {
            return AccountProblems.Conflict("A member with this email already belongs to the org.");
        }

        return await invites.CreateAsync(member.OrgId, email!, role!, projectIds, caps, audit, ct);
    }

    /// <summary>The org's invites (owner, admin).</summary>
    public async Task<Outcome<(IReadOnlyList<InviteStore.InviteRow> Rows, Paging Paging)>> ListInvitesAsync(OrgMember member, string? limit, string? cursor, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageMembers))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        if (!Paging.TryParse(limit, cursor, out var paging, out var error))
        {
            return AccountProblems.Validation("limit", error!);
        }

        return (await invites.ListAsync(member.OrgId, paging, ct), paging);
    }

    /// <summary>Revokes a pending invite (owner, admin; idempotent).</summary>
    public async Task<Outcome<Done>> RevokeInviteAsync(OrgMember member, RequestAudit audit, string inviteId, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageMembers))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        var invite = await invites.FindAsync(member.OrgId, inviteId, ct);
        if (invite is null)
        {
            return AccountProblems.NotFound(InviteNotFoundMessage);
        }

        if (invite.AcceptedAt is not null)
        {
            return AccountProblems.Conflict("The invite has already been accepted; remove the member instead.");
        }

        // Revoking a revoked invite changes nothing and succeeds: DELETE is idempotent.
        await invites.RevokeAsync(member.OrgId, inviteId, audit, ct);
        return Done.Value;
    }

    /// <summary>Accepts an invite as the signed-in user whose email it names.</summary>
    public async Task<Outcome<AcceptInviteResponse>> AcceptInviteAsync(string token, CurrentUser user, string? ip, CancellationToken ct)
    {
        if (!token.StartsWith(Secrets.InvitePrefix, StringComparison.Ordinal) || token.Length != Secrets.Length)
        {
            return AccountProblems.NotFound(InviteNotFoundMessage);
        }

        var (outcome, invite, memberId, granted) = await invites.AcceptAsync(token, user, ip, ct);
        if (outcome == InviteStore.AcceptOutcome.Accepted && invite!.Budget is not null)
        {
            budgets.InvalidateMember(memberId!); // a node that looked this id up before it existed forgets that
        }
        return outcome switch
        {
            InviteStore.AcceptOutcome.Accepted => new AcceptInviteResponse(invite!.OrgId, memberId!, invite.Role, granted),
            InviteStore.AcceptOutcome.WrongEmail => AccountProblems.Forbidden("This invite is for another email address; sign in as the invited user."),
            InviteStore.AcceptOutcome.Revoked => AccountProblems.Gone("This invite has been revoked."),
            InviteStore.AcceptOutcome.Expired => AccountProblems.Gone("This invite has expired; ask for a new one."),
            InviteStore.AcceptOutcome.AlreadyAccepted => AccountProblems.Conflict("This invite has already been accepted."),
            InviteStore.AcceptOutcome.AlreadyMember => AccountProblems.Conflict("You are already a member of this org."),
            _ => AccountProblems.NotFound(InviteNotFoundMessage),
        };
    }

    // :: Helpers ---------------------------------------------------------------------------

    /// <summary>The member if the caller may see them (everyone for roles that see the list; else only themselves).</summary>
    private async Task<MemberStore.MemberDetail?> FindVisibleAsync(OrgMember viewer, string memberId, CancellationToken ct) =>
        RolePolicy.Can(viewer.Role, Capability.ViewMembers) || memberId == viewer.MemberId
            ? await members.FindAsync(viewer.OrgId, memberId, ct)
            : null;

    private static async Task<ProblemHttpResult?> RequirePlanAsync(OrgStore orgs, string orgId, PlanPolicy.Feature feature, CancellationToken ct) =>
        await orgs.FindOrgAsync(orgId, ct) is { } org ? PlanPolicy.Require(org.Plan, feature) : null;

    private static async Task<string?> FirstMissingProjectAsync(OrgStore orgs, string orgId, IEnumerable<string> projectIds, CancellationToken ct)
    {
        foreach (var projectId in projectIds.Distinct(StringComparer.Ordinal))
        {
            if (await orgs.FindProjectAsync(orgId, projectId, ct) is null)
            {
                return projectId;
            }
        }

        return null;
    }

    /// <summary>
    /// The usage range: <c>from</c> and <c>to</c> as ISO dates (<c>2026-07-01</c>, whole UTC days,
    /// <c>to</c> inclusive) or instants; by default the last 30 days.
    /// </summary>
    private (long From, long To) UsageRange(FieldErrors errors, string? from, string? to)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var toMs = string.IsNullOrEmpty(to) ? now : ParseDateOrInstant(errors, "to", to, endOfDay: true);
        var fromMs = string.IsNullOrEmpty(from) ? toMs - (long)DefaultUsageRange.TotalMilliseconds : ParseDateOrInstant(errors, "from", from, endOfDay: false);
        if (!errors.Any && fromMs > toMs)
        {
            errors.Add("from", "from must not be after to.");
        }

        return (fromMs, toMs);
    }

    private static long ParseDateOrInstant(FieldErrors errors, string field, string text, bool endOfDay)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return (endOfDay ? start.AddDays(1) : start).ToUnixTimeMilliseconds();
        }

        if (ApiTime.TryParse(text, out var ms))
        {
            return ms;
        }

        errors.Add(field, $"{field} must be an ISO 8601 date (2026-07-01) or time with an offset.");
        return 0;
    }
}
