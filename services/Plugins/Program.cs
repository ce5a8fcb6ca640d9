using Platform.Plugins.Apis;
using Platform.Plugins.Extensions;

// The slim builder loads less at idle (README, "Memory"); nothing it leaves out is used here.
var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapPluginsApi();

app.Run();

/// <summary>Visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
