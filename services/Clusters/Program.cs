using Platform.Clusters.Apis;
using Platform.Clusters.Extensions;

// The slim builder loads less at idle (README, "Memory"); nothing it leaves out is used here.
var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapClustersApi();

app.Run();

/// <summary>Visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
