using Platform.Proxy.Extensions;

Extensions.UseSingleEventLoop();

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults(verifyPlatformIdentity: false);
builder.AddApplicationServices();

var app = builder.Build();

app.MapProxy();

app.Run();

/// <summary>Visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
