using Tollgate.Audit;
using Tollgate.Budgets;
using Tollgate.Operations;

namespace Tollgate.Accounts;

/// <summary>
/// The <c>/orgs/{orgId}/members</c>, <c>/invites</c> and <c>/roles</c> routes and
/// <c>POST /invites/{token}/accept</c>, over <see cref="MemberService"/>.
/// </summary>
internal static class MembersApi
{
    /// <summary>404 detail for a member the caller cannot see.</summary>
    public const string NotFoundMessage = MemberService.NotFoundMessage;

    /// <summary>404 detail for an invite the caller cannot see.</summary>
    public const string InviteNotFoundMessage = MemberService.InviteNotFoundMessage;

    /// <summary>Maps <c>/orgs/{orgId}/members</c>, <c>/invites</c>, <c>/roles</c> and <c>POST /invites/{token}/accept</c>.</summary>
    public static void Map(RouteGroupBuilder org, RouteGroupBuilder signedIn)
    {
        org.MapGet("/roles", () => TypedResults.Ok(RolePolicy.Describe()))
            .Answers<RolesResponse>();

        org.MapGet("/members", async (OrgMember member, string? from, string? to, string? limit, string? cursor, MemberService service, CancellationToken ct) =>
            (await service.ListAsync(member, from, to, limit, cursor, ct)).ToResult(list => TypedResults.Ok(list.Paging.ToPage(
                list.Rows, r => r.Id, r => ToResponse(r, list.Usage is null ? null : list.Usage.GetValueOrDefault(r.Id) ?? Nothing, list.Range, list.Budgets?.GetValueOrDefault(r.Id))))))
            .Answers<Page<MemberResponse>>().Refuses(400);
        org.MapGet("/members/me", async (OrgMember member, string? from, string? to, MemberService service, CancellationToken ct) =>
            (await service.GetMeAsync(member, from, to, ct)).ToResult(me => TypedResults.Ok(ToResponse(me.Row, me.Usage, me.Range, me.Budget))))
            .Answers<MemberResponse>().Refuses(400);
        org.MapGet("/members/{memberId}", async (string memberId, OrgMember member, MemberService service, CancellationToken ct) =>
            (await service.GetAsync(member, memberId, ct)).ToResult(row => TypedResults.Ok(ToResponse(row, null, default, null))))
            .Answers<MemberResponse>();
        org.MapPatch("/members/{memberId}", async (string memberId, UpdateMemberRequest body, OrgMember member, RequestAudit audit, MemberService service, CancellationToken ct) =>
            (await service.UpdateAsync(member, audit, memberId, body, ct)).ToResult(row => TypedResults.Ok(ToResponse(row, null, default, null))))
            .Answers<MemberResponse>().Refuses(400, 409);
        org.MapDelete("/members/{memberId}", async (string memberId, OrgMember member, RequestAudit audit, MemberService service, CancellationToken ct) =>
            (await service.RemoveAsync(member, audit, memberId, ct)).ToResult(_ => TypedResults.NoContent()))
            .AnswersNoContent().Refuses(409);

        org.MapPost("/invites", async (CreateInviteRequest body, OrgMember member, RequestAudit audit, MemberService service, TimeProvider time, CancellationToken ct) =>
            (await service.CreateInviteAsync(member, audit, body, ct)).ToResult(created =>
                TypedResults.Created($"/orgs/{member.OrgId}/invites/{created.Invite.Id}", ToResponse(created.Invite, time, created.Token))))
            .Answers<InviteResponse>(StatusCodes.Status201Created).Refuses(400, 409);
        org.MapGet("/invites", async (OrgMember member, string? limit, string? cursor, MemberService service, TimeProvider time, CancellationToken ct) =>
            (await service.ListInvitesAsync(member, limit, cursor, ct)).ToResult(page => TypedResults.Ok(page.Paging.ToPage(page.Rows, r => r.Id, r => ToResponse(r, time)))))
            .Answers<Page<InviteResponse>>().Refuses(400);
        org.MapDelete("/invites/{inviteId}", async (string inviteId, OrgMember member, RequestAudit audit, MemberService service, CancellationToken ct) =>
            (await service.RevokeInviteAsync(member, audit, inviteId, ct)).ToResult(_ => TypedResults.NoContent()))
            .AnswersNoContent().Refuses(409);

        signedIn.MapPost("/invites/{token}/accept", async (string token, CurrentUser user, HttpContext http, MemberService service, CancellationToken ct) =>
            (await service.AcceptInviteAsync(token, user, RequestAudit.ClientIp(http), ct)).ToResult(accepted => TypedResults.Ok(accepted)))
            .Answers<AcceptInviteResponse>().Refuses(403, 404, 409, 410);
    }

    private static readonly MemberStore.MemberUsage Nothing = new(0, 0, 0, 0, 0);

    private static MemberResponse ToResponse(MemberStore.MemberDetail row, MemberStore.MemberUsage? usage, (long From, long To) range, MemberBudget? budget)
    {
        var usageResponse = usage is null ? null : new MemberUsageResponse(
            Money.ToWire(usage.CostPico), usage.InputTokens, usage.OutputTokens, usage.Requests, usage.ActiveKeys,
            ApiTime.FromUnixMs(range.From), ApiTime.FromUnixMs(range.To));
        return new MemberResponse(row.Id, row.UserId, row.Name, row.Email, row.Role, row.ProjectIds,
            ApiTime.FromUnixMs(row.CreatedAt), ApiTime.FromUnixMs(row.RoleSince ?? row.CreatedAt),
            budget is null ? null : BudgetJson.MemberBudget(budget.View, budget.ActiveKeys), usageResponse);
    }

    private static InviteResponse ToResponse(InviteStore.InviteRow invite, TimeProvider time, string? token = null) =>
        new(invite.Id, token, invite.OrgId, invite.Email, invite.Role, invite.ProjectIds,
            invite.StatusAt(time.GetUtcNow().ToUnixTimeMilliseconds()), ApiTime.FromUnixMs(invite.CreatedAt),
            ApiTime.FromUnixMs(invite.ExpiresAt), invite.AcceptedMemberId, invite.Budget is { } caps ? Tollgate.Budgets.BudgetJson.RequestResponse(caps) : null);
}
