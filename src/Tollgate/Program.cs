using Tollgate.Analytics;
using Tollgate.Hosting;

var app = TollgateApp.Build(args.Where(a => a != AnalyticsServices.RebuildCommand).ToArray());
if (args.Contains(AnalyticsServices.RebuildCommand, StringComparer.Ordinal))
{
    return await AnalyticsServices.RebuildAsync(app);
}

await app.RunAsync();
return 0;
