using Platform.Proxy.Extensions;

Extensions.UseSingleEventLoop();

// The slim builder loads less at idle (README, "Memory"). It leaves out Kestrel's configuration-driven HTTPS; the Proxy
// terminates TLS itself with Proxy:Certificate:Path (ConfigurePublicPort's UseHttps).
var builder = WebApplication.CreateSlimBuilder(args);

builder.AddServiceDefaults(verifyPlatformIdentity: false);
builder.AddApplicationServices();

var app = builder.Build();

app.MapProxy();

app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
