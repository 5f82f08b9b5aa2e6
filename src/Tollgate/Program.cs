using Tollgate.Analytics;
using Tollgate.Hosting;

var backup = Tollgate.Operations.BackupCommand.Parse(args);
args = backup.Others;
var app = TollgateApp.Build(args.Where(a => a != AnalyticsServices.RebuildCommand).ToArray());
if (backup.IsBackup)
{
    return await Tollgate.Operations.BackupCommand.RunAsync(app, backup.Destination);
}

if (args.Contains(AnalyticsServices.RebuildCommand, StringComparer.Ordinal))
{
    return await AnalyticsServices.RebuildAsync(app);
}

await app.RunAsync();
return 0;
