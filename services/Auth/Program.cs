using Platform.Auth.Apis;
using Platform.Auth.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapIdentityApi();
app.MapTokensApi();
app.MapSessionsApi();

app.Run();
