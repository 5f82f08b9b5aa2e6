using System.Globalization;
using System.Text.Json;
using Tollgate.Audit;

namespace Tollgate.Accounts;

/// <summary>Orgs, for the API and the dashboard alike: create (the caller becomes owner), list the caller's, read, change settings.</summary>
internal sealed class OrgService(OrgStore orgs, AuditLog auditLog, AccountsOptions options, Tollgate.Budgets.BudgetEngine budgets)
{
    /// <summary>Creates an org; the caller becomes its owner.</summary>
    public async Task<Outcome<OrgStore.OrgRow>> CreateAsync(CurrentUser user, string? ip, CreateOrgRequest body, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var name = errors.Name("name", body.Name);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (org, owner) = await orgs.CreateOrgAsync(user.UserId, name!, options.DefaultPlan, options.DefaultBillingMode, ct);
        await auditLog.RecordAsync(org.Id, new AuditActor(owner.Id, user.Email), "org.create", new AuditTarget("org", org.Id), null,
            new { org.Name, org.Plan, org.BillingMode }, ip, ct);
        return org;
    }

    /// <summary>The orgs the user belongs to, a page at a time.</summary>
    public async Task<Outcome<(IReadOnlyList<OrgStore.OrgRow> Rows, Paging Paging)>> ListAsync(CurrentUser user, string? limit, string? cursor, CancellationToken ct)
    {
        if (!Paging.TryParse(limit, cursor, out var paging, out var error))
        {
            return AccountProblems.Validation("limit", error!);
        }

        return (await orgs.ListOrgsOfUserAsync(user.UserId, paging, ct), paging);
    }

    /// <summary>The caller's org; tax rate and billing details only for those who may see billing.</summary>
    public async Task<Outcome<OrgResponse>> GetAsync(OrgMember member, CancellationToken ct)
    {
        var org = await orgs.FindOrgAsync(member.OrgId, ct);
        return org is null ? AccountProblems.NotFound(OrgMembership.NotFoundMessage) : ToResponse(org, member);
    }

    /// <summary>
    /// Name, billing mode and tax rate are org settings (owner, admin); billing details are billing's
    /// too (owner, admin, billing). A request that touches anything the caller may not change is 403
    /// as a whole. One <c>org.update</c> entry records the fields that changed.
    /// </summary>
    public async Task<Outcome<OrgResponse>> UpdateAsync(OrgMember member, RequestAudit audit, UpdateOrgRequest body, CancellationToken ct)
    {
        var touchesSettings = body.Name is not null || body.BillingMode is not null || body.TaxRate.ValueKind != JsonValueKind.Undefined;
        if ((touchesSettings && !RolePolicy.Can(member.Role, Capability.ManageOrgSettings))
            || (body.Billing is not null && !RolePolicy.Can(member.Role, Capability.ManageBilling))
            || (!touchesSettings && body.Billing is null && !RolePolicy.Can(member.Role, Capability.ManageBilling)))
        {
            return AccountProblems.Forbidden(
                "Only owners and admins can change the org's name, billing mode and tax rate; billing details also billing members.");
        }

        var before = await orgs.FindOrgAsync(member.OrgId, ct);
        if (before is null)
        {
            return AccountProblems.NotFound(OrgMembership.NotFoundMessage);
        }

        // :: Absent fields keep their value.
        var errors = new FieldErrors();
        var name = body.Name is null ? before.Name : errors.Name("name", body.Name);
        var billingMode = body.BillingMode ?? before.BillingMode;
        if (billingMode is not ("credits" or "byok"))
        {
            errors.Add("billingMode", "billingMode must be credits or byok.");
        }

        var taxRate = body.TaxRate.ValueKind switch
        {
            JsonValueKind.Undefined => before.TaxRate,
            JsonValueKind.Null => null,
            JsonValueKind.Number or JsonValueKind.String => TaxRate(errors, body.TaxRate),
            _ => Invalid(errors),
        };
        var billing = Merge(errors, BillingOf(before), body.Billing);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var billingJson = billing is null ? null : JsonSerializer.Serialize(billing, JsonSerializerOptions.Web);
        var org = await orgs.UpdateOrgAsync(member.OrgId, new OrgStore.OrgSettings(name!, billingMode, taxRate, billingJson), ct);
        if (org is null)
        {
            return AccountProblems.NotFound(OrgMembership.NotFoundMessage);
        }

        if (before.BillingMode != org.BillingMode)
        {
            budgets.InvalidateBillingMode(org.Id); // the next request is admitted in the new mode
        }

        var changedBefore = new Dictionary<string, object?>(StringComparer.Ordinal);
        var changedAfter = new Dictionary<string, object?>(StringComparer.Ordinal);
        Diff("name", before.Name, org.Name);
        Diff("billingMode", before.BillingMode, org.BillingMode);
        Diff("taxRate", before.TaxRate, org.TaxRate);
        if (before.BillingJson != org.BillingJson)
        {
            changedBefore["billing"] = BillingOf(before);
            changedAfter["billing"] = BillingOf(org);
        }

        if (changedAfter.Count > 0)
        {
            await audit.RecordAsync("org.update", new AuditTarget("org", org.Id), changedBefore, changedAfter, ct);
        }

        return ToResponse(org, member);

        void Diff(string field, string? old, string? now)
        {
            if (old != now)
            {
                changedBefore[field] = old;
                changedAfter[field] = now;
            }
        }
    }

    private const int MaxBillingFieldLength = 1000;

    private static string? TaxRate(FieldErrors errors, JsonElement value)
    {
        var text = value.ValueKind == JsonValueKind.Number ? value.GetRawText() : value.GetString();
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) || rate < 0 || rate > 1)
        {
            return Invalid(errors);
        }

        return (rate / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);
    }

    private static string? Invalid(FieldErrors errors)
    {
        errors.Add("taxRate", "taxRate must be a fraction from 0 to 1 (0.19 for 19 %), as a number or a decimal string, or null.");
        return null;
    }

    private static BillingDetails? BillingOf(OrgStore.OrgRow org) =>
        org.BillingJson is null ? null : JsonSerializer.Deserialize<BillingDetails>(org.BillingJson, JsonSerializerOptions.Web);

    private static BillingDetails? Merge(FieldErrors errors, BillingDetails? current, BillingDetails? patch)
    {
        if (patch is null)
        {
            return current;
        }

        string? Field(string name, string? old, string? value)
        {
            if (value is null)
            {
                return old;
            }

            if (value.Length > MaxBillingFieldLength)
            {
                errors.Add("billing." + name, $"billing.{name} must be at most {MaxBillingFieldLength} characters.");
            }

            return value;
        }

        var email = current?.Email;
        if (patch.Email is not null)
        {
            email = new FieldErrors().Email(patch.Email);
            if (email is null)
            {
                errors.Add("billing.email", "billing.email is not a valid email address.");
            }
        }

        return new BillingDetails(
            email,
            Field("company", current?.Company, patch.Company),
            Field("address", current?.Address, patch.Address),
            Field("country", current?.Country, patch.Country),
            Field("taxId", current?.TaxId, patch.TaxId),
            Field("notes", current?.Notes, patch.Notes));
    }

    /// <summary>The wire shape of an org.</summary>
    public static OrgResponse ToResponse(OrgStore.OrgRow org) =>
        new(org.Id, org.Name, org.Plan, org.BillingMode, ApiTime.FromUnixMs(org.CreatedAt));

    // Tax rate and billing details only for those who may see billing.
    private static OrgResponse ToResponse(OrgStore.OrgRow org, OrgMember viewer) =>
        RolePolicy.Can(viewer.Role, Capability.ManageBilling)
            ? ToResponse(org) with { TaxRate = org.TaxRate, Billing = BillingOf(org) }
            : ToResponse(org);
}
