using Platform.Proxy.Extensions;

Extensions.UseSingleEventLoop();

// The slim builder (no IIS, hosting startup assemblies, static web assets, QUIC, regex route constraints, or the Debug
// and EventSource log providers) plus Kestrel's HTTPS: the Proxy terminates TLS when Proxy:Certificate:Path is set.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrelHttpsConfiguration();

builder.AddServiceDefaults(verifyPlatformIdentity: false);
builder.AddApplicationServices();

var app = builder.Build();

app.MapProxy();

app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
