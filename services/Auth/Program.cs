using Platform.Auth.Apis;
using Platform.Auth.Extensions;

// The slim builder loads less at idle (README, "Memory"); nothing it leaves out is used here.
var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapIdentityApi();
app.MapTokensApi();
app.MapSessionsApi();

app.Run();
