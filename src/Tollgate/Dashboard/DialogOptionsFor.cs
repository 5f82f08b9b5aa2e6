using MudBlazor;

namespace Tollgate.Dashboard;

/// <summary>Dialog options: every dialog closes on Escape and fits a phone's width.</summary>
internal static class DialogOptionsFor
{
    /// <summary>A form dialog.</summary>
    public static readonly DialogOptions Form = new() { CloseOnEscapeKey = true, MaxWidth = MaxWidth.Small, FullWidth = true, CloseButton = true };

    /// <summary>A confirmation.</summary>
    public static readonly DialogOptions Confirm = new() { CloseOnEscapeKey = true, MaxWidth = MaxWidth.ExtraSmall, FullWidth = true };
}
