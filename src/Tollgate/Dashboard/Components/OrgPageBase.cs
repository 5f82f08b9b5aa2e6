using Microsoft.AspNetCore.Components;

namespace Tollgate.Dashboard.Components;

/// <summary>
/// A page of an org (<c>/dashboard/orgs/{orgId}/...</c>): resolves the viewer's membership, answers
/// the same "Not found" for an org they are not in and for a page their role may not open, then
/// loads the page's data through the application services.
/// </summary>
public abstract class OrgPageBase : ComponentBase
{
    /// <summary>The org of the route.</summary>
    [Parameter]
    public string OrgId { get; set; } = "";

    /// <summary>The viewer's membership and org; null while loading or when hidden.</summary>
    protected OrgContext? Org { get; private set; }

    /// <summary>True until the first load finished.</summary>
    protected bool Loading { get; private set; } = true;

    /// <summary>True when the viewer may not open this page (shown as Not found).</summary>
    protected bool Hidden { get; private set; }

    /// <summary>The viewer's time zone.</summary>
    [Inject]
    protected ViewerClock Clock { get; set; } = default!;

    /// <summary>Navigation.</summary>
    [Inject]
    protected NavigationManager Nav { get; set; } = default!;

    [Inject]
    private DashboardSession Session { get; set; } = default!;

    /// <summary>Whether the viewer's role may open the page (dashboard.md's "who" column).</summary>
    protected abstract bool MayOpen(OrgContext org);

    /// <summary>Loads the page's data; called after the viewer is known to be allowed.</summary>
    protected abstract Task LoadAsync();

    /// <inheritdoc />
    protected override async Task OnParametersSetAsync()
    {
        Loading = true;
        Org = await Session.OrgAsync(OrgId);
        Hidden = Org is null || !MayOpen(Org);
        if (Hidden)
        {
            Org = null;
        }
        else
        {
            await LoadAsync();
        }

        Loading = false;
    }

    /// <summary>Reloads the page's data after a change, with a fresh check of the membership.</summary>
    protected Task ReloadAsync() => OnParametersSetAsync();

    /// <summary>
    /// Reloads the data in place, with a fresh check of the membership, without the loading state: for
    /// filters, whose controls stay on the page (and in the middle of their own event) while it reloads.
    /// </summary>
    protected async Task RefreshAsync()
    {
        var org = await Session.OrgAsync(OrgId);
        if (org is null || !MayOpen(org))
        {
            Org = null;
            Hidden = true;
            return;
        }

        Org = org;
        await LoadAsync();
    }
}
