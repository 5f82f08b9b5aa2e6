using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Audit;
using Tollgate.Budgets;

namespace Tollgate.Accounts;

/// <summary>
/// Members, invites and the roles matrix of an org. Who may do what comes from
/// <see cref="RolePolicy"/>; a developer or basic member sees only their own membership, and other
/// members' ids answer 404 for them, as ids of other orgs do.
/// </summary>
internal static class MembersApi
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

    /// <summary>Maps <c>/orgs/{orgId}/members</c>, <c>/invites</c>, <c>/roles</c> and <c>POST /invites/{token}/accept</c>.</summary>
    public static void Map(RouteGroupBuilder org, RouteGroupBuilder signedIn)
    {
        org.MapGet("/roles", () => TypedResults.Ok(RolePolicy.Describe()));

        org.MapGet("/members", ListAsync);
        org.MapGet("/members/me", GetMeAsync);
        org.MapGet("/members/{memberId}", GetAsync);
        org.MapPatch("/members/{memberId}", UpdateAsync);
        org.MapDelete("/members/{memberId}", RemoveAsync);

        org.MapPost("/invites", CreateInviteAsync);
        org.MapGet("/invites", ListInvitesAsync);
        org.MapDelete("/invites/{inviteId}", RevokeInviteAsync);

        signedIn.MapPost("/invites/{token}/accept", AcceptInviteAsync);
    }

    // :: Members ---------------------------------------------------------------------------

    private static async Task<Results<Ok<Page<MemberResponse>>, ValidationProblem>> ListAsync(
        OrgMember member, string? from, string? to, string? limit, string? cursor,
        MemberStore members, OrgStore orgs, BudgetEngine budgets, Tollgate.Storage.Database db, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!Paging.TryParse(limit, cursor, out var paging, out var pagingError))
        {
            errors.Add("limit", pagingError!);
        }

        var range = UsageRange(errors, from, to, time);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        // Developers and basic members see only themselves.
        var onlySelf = RolePolicy.Can(member.Role, Capability.ViewMembers) ? null : member.MemberId;
        var rows = await members.ListAsync(member.OrgId, onlySelf, paging, ct);
        IReadOnlyDictionary<string, MemberStore.MemberUsage>? usage = null;
        if (RolePolicy.Can(member.Role, Capability.ViewMemberUsage)
            && await orgs.FindOrgAsync(member.OrgId, ct) is { } org && PlanPolicy.Has(org.Plan, PlanPolicy.Feature.MemberUsage))
        {
            usage = await members.UsageAsync(member.OrgId, range.From, range.To, ct);
        }

        // Owners, admins and billing see every member's effective limits with their source (roles.md).
        Dictionary<string, object?>? limits = null;
        if (RolePolicy.Can(member.Role, Capability.ManageBudgets))
        {
            limits = [];
            foreach (var row in rows)
            {
                limits[row.Id] = await BudgetOfAsync(budgets, db, row.Id, time, ct);
            }
        }

        return TypedResults.Ok(paging.ToPage(rows, r => r.Id, r => ToResponse(r, usage, range, limits?.GetValueOrDefault(r.Id))));
    }

    /// <summary>The member's budget document as <c>GET .../budget</c> answers it (the numbers admission enforces).</summary>
    private static async Task<object?> BudgetOfAsync(BudgetEngine budgets, Tollgate.Storage.Database db, string memberId, TimeProvider time, CancellationToken ct)
    {
        if (await budgets.ViewMemberAsync(memberId, ct) is not { } view)
        {
            return null;
        }

        await using var connection = await db.OpenAsync(ct);
        return BudgetJson.MemberBudget(view, await BudgetStore.ActiveKeysAsync(connection, null, memberId, time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    private static async Task<Results<Ok<MemberResponse>, ValidationProblem, ProblemHttpResult>> GetMeAsync(
        OrgMember member, string? from, string? to, MemberStore members, BudgetEngine budgets, Tollgate.Storage.Database db, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var range = UsageRange(errors, from, to, time);
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
        return TypedResults.Ok(ToResponse(row, usage, range, await BudgetOfAsync(budgets, db, member.MemberId, time, ct)));
    }

    private static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> GetAsync(
        string memberId, OrgMember member, MemberStore members, TimeProvider time, CancellationToken ct)
    {
        var row = await FindVisibleAsync(member, memberId, members, ct);
        return row is null ? AccountProblems.NotFound(NotFoundMessage) : TypedResults.Ok(ToResponse(row, null, default));
    }

    private static async Task<Results<Ok<MemberResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string memberId, UpdateMemberRequest body, OrgMember member, RequestAudit audit, MemberStore members, OrgStore orgs,
        CancellationToken ct)
    {
        var target = await FindVisibleAsync(member, memberId, members, ct);
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
            return AccountProblems.NotFound(ProjectsApi.NotFoundMessage);
        }

        var (outcome, updated) = await members.UpdateAsync(
            member.OrgId, memberId, body.Role, body.ProjectIds, RolePolicy.Can(member.Role, Capability.ManageOwners), audit, ct);
        return outcome switch
        {
            MemberStore.ChangeOutcome.Done when updated is not null => TypedResults.Ok(ToResponse(updated, null, default)),
            MemberStore.ChangeOutcome.OwnersOnly => AccountProblems.Forbidden(OwnersOnlyMessage),
            MemberStore.ChangeOutcome.LastOwner => AccountProblems.Conflict(LastOwnerMessage),
            _ => AccountProblems.NotFound(NotFoundMessage),
        };
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(
        string memberId, OrgMember member, RequestAudit audit, MemberStore members, CancellationToken ct)
    {
        if (await FindVisibleAsync(member, memberId, members, ct) is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!RolePolicy.Can(member.Role, Capability.RemoveMembers))
        {
            return AccountProblems.Forbidden(RemoveForbiddenMessage);
        }

        return await members.RemoveAsync(member.OrgId, memberId, RolePolicy.Can(member.Role, Capability.ManageOwners), audit, ct) switch
        {
            MemberStore.ChangeOutcome.Done => TypedResults.NoContent(),
            MemberStore.ChangeOutcome.OwnersOnly => AccountProblems.Forbidden(OwnersOnlyMessage),
            MemberStore.ChangeOutcome.LastOwner => AccountProblems.Conflict(LastOwnerMessage),
            _ => AccountProblems.NotFound(NotFoundMessage),
        };
    }

    // :: Invites ---------------------------------------------------------------------------

    private static async Task<Results<Created<InviteResponse>, ValidationProblem, ProblemHttpResult>> CreateInviteAsync(
        CreateInviteRequest body, OrgMember member, RequestAudit audit, InviteStore invites, OrgStore orgs, TimeProvider time, CancellationToken ct)
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
            return AccountProblems.NotFound(ProjectsApi.NotFoundMessage);
        }

        if (await invites.IsMemberAsync(member.OrgId, email!, ct))
        {
            return AccountProblems.Conflict("A member with this email already belongs to the org.");
        }

        var (invite, token) = await invites.CreateAsync(member.OrgId, email!, role!, projectIds, audit, ct);
        return TypedResults.Created($"/orgs/{member.OrgId}/invites/{invite.Id}", ToResponse(invite, time, token));
    }

    private static async Task<Results<Ok<Page<InviteResponse>>, ValidationProblem, ProblemHttpResult>> ListInvitesAsync(
        OrgMember member, string? limit, string? cursor, InviteStore invites, TimeProvider time, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageMembers))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        if (!Paging.TryParse(limit, cursor, out var paging, out var error))
        {
            return AccountProblems.Validation("limit", error!);
        }

        var rows = await invites.ListAsync(member.OrgId, paging, ct);
        return TypedResults.Ok(paging.ToPage(rows, r => r.Id, r => ToResponse(r, time)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeInviteAsync(
        string inviteId, OrgMember member, RequestAudit audit, InviteStore invites, CancellationToken ct)
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
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AcceptInviteResponse>, ProblemHttpResult>> AcceptInviteAsync(
        string token, CurrentUser user, HttpContext http, InviteStore invites, CancellationToken ct)
    {
        if (!token.StartsWith(Secrets.InvitePrefix, StringComparison.Ordinal) || token.Length != Secrets.Length)
        {
            return AccountProblems.NotFound(InviteNotFoundMessage);
        }

        var (outcome, invite, memberId, granted) = await invites.AcceptAsync(token, user, RequestAudit.ClientIp(http), ct);
        return outcome switch
        {
            InviteStore.AcceptOutcome.Accepted => TypedResults.Ok(new AcceptInviteResponse(invite!.OrgId, memberId!, invite.Role, granted)),
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
    private static async Task<MemberStore.MemberDetail?> FindVisibleAsync(OrgMember viewer, string memberId, MemberStore members, CancellationToken ct) =>
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
    private static (long From, long To) UsageRange(FieldErrors errors, string? from, string? to, TimeProvider time)
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

    private static MemberResponse ToResponse(
        MemberStore.MemberDetail row, IReadOnlyDictionary<string, MemberStore.MemberUsage>? usage, (long From, long To) range, object? budget = null)
    {
        MemberUsageResponse? usageResponse = null;
        if (usage is not null)
        {
            var u = usage.GetValueOrDefault(row.Id) ?? new MemberStore.MemberUsage(0, 0, 0, 0, 0);
            usageResponse = new MemberUsageResponse(
                Money.ToWire(u.CostPico), u.InputTokens, u.OutputTokens, u.Requests, u.ActiveKeys,
                ApiTime.FromUnixMs(range.From), ApiTime.FromUnixMs(range.To));
        }

        return new MemberResponse(row.Id, row.UserId, row.Name, row.Email, row.Role, row.ProjectIds,
            ApiTime.FromUnixMs(row.CreatedAt), ApiTime.FromUnixMs(row.RoleSince ?? row.CreatedAt), budget, usageResponse);
    }

    private static InviteResponse ToResponse(InviteStore.InviteRow invite, TimeProvider time, string? token = null) =>
        new(invite.Id, token, invite.OrgId, invite.Email, invite.Role, invite.ProjectIds,
            invite.StatusAt(time.GetUtcNow().ToUnixTimeMilliseconds()), ApiTime.FromUnixMs(invite.CreatedAt),
            ApiTime.FromUnixMs(invite.ExpiresAt), invite.AcceptedMemberId);
}
