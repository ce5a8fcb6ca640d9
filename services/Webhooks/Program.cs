using Platform.Webhooks.Apis;
using Platform.Webhooks.Extensions;

// The slim builder loads less at idle (README, "Memory"); nothing it leaves out is used here.
var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapWebhooksApi();
app.WarnIfSecretsUnavailable();

app.Run();

/// <summary>Visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
