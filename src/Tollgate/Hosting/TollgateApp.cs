using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Accounts;
using Tollgate.Analytics;
using Tollgate.Billing;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Dashboard;
using Tollgate.Gateway;
using Tollgate.ProviderKeys;
using Tollgate.Operations;
using Tollgate.Storage;

namespace Tollgate.Hosting;

/// <summary>Builds the one deployable: management API and gateway in one process.</summary>
public static class TollgateApp
{
    /// <summary>
    /// Creates the application. <c>--demo</c> among <paramref name="args"/> enables the built-in demo
    /// provider. <paramref name="configure"/> lets tests and tools adjust the builder (configuration,
    /// services) before the app is built.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var demo = args.Contains("--demo", StringComparer.Ordinal);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = args.Where(a => a != "--demo").ToArray(),
            // The dashboard's static assets are found by this name, also when a test host starts the app.
            ApplicationName = typeof(TollgateApp).Assembly.GetName().Name,
        });
        // Dashboard assets (blazor.web.js, MudBlazor) from the build output's manifest in every environment;
        // a published folder serves them from its wwwroot.
        builder.WebHost.UseStaticWebAssets();
        if (demo)
        {
            builder.Configuration["Tollgate:Demo"] = "true";
        }

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://127.0.0.1:8080");
        }

        configure?.Invoke(builder);

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddTollgateStorage(builder.Configuration);
        builder.Services.AddTollgateCatalog(builder.Configuration);
        builder.Services.AddTollgateAccounts(builder.Configuration);
        builder.Services.AddTollgateGateway(builder.Configuration);
        builder.Services.AddTollgateProviderKeys(builder.Configuration);
        builder.Services.AddTollgateBilling(builder.Configuration);
        builder.Services.AddTollgateAnalytics(builder.Configuration);
        builder.Services.AddProblemDetails();
        builder.Services.AddTollgateDashboard(builder.Configuration);
        builder.Services.AddTollgateOperations(builder.Configuration);

        var app = builder.Build();
        app.UseTollgateForwardedHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseTollgateOperations();
        app.MapHealth();
        app.MapAccountsApi();
        app.MapGatewayApi();
        app.MapBudgetsApi();
        app.MapMasterKeysApi();
        app.MapProviderKeysApi();
        app.MapBillingApi();
        app.MapAnalytics();
        app.MapTollgateDashboard();
        return app;
    }
}
