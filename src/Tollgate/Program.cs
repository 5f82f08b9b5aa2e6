using Tollgate.Hosting;

var app = TollgateApp.Build(args);
await app.RunAsync();
