var app = WebApplication.CreateSlimBuilder(args).Build();
app.MapGet("/", () => "fake providers");
await app.RunAsync();
