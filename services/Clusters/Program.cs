using Platform.Clusters.Apis;
using Platform.Clusters.Extensions;

// The slim builder: no IIS, hosting startup assemblies, static web assets, Kestrel HTTPS configuration, QUIC, regex
// route constraints, or the Debug and EventSource log providers, none of which this service uses (console logging stays).
var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapClustersApi();

app.Run();

/// <summary>Visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
