using Platform.Proxy.Extensions;

Extensions.UseSingleEventLoop();

// The slim builder: no IIS, hosting startup assemblies, static web assets, QUIC, regex route constraints, or the Debug
// and EventSource log providers. Nor Kestrel's configuration-driven HTTPS (https:// URLs, Kestrel:Endpoints): the Proxy
// terminates TLS itself with Proxy:Certificate:Path (ConfigurePublicPort's UseHttps, which needs none of it).
var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceDefaults(verifyPlatformIdentity: false);
builder.AddApplicationServices();

var app = builder.Build();

app.MapProxy();

app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
