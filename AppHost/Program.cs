using Platform.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

// Infrastructure: each service owns its database; events travel over RabbitMQ; plugin packages live in the object store.
var postgres = builder.AddPostgres("postgres");
var authDb = postgres.AddDatabase("authdb");
var clustersDb = postgres.AddDatabase("clustersdb");
var webhooksDb = postgres.AddDatabase("webhooksdb");
var pluginsDb = postgres.AddDatabase("pluginsdb");
var messaging = builder.AddRabbitMQ("messaging");
var objects = builder.AddObjectStore("objects");

// Shared by the services that trust the Proxy's internal calls (forwarded client address, route snapshots).
var proxyToken = builder.AddSecret("proxy-token");

var auth = builder.AddProject("auth", "../services/Auth/Platform.Auth.csproj")
    .WithReference(authDb).WithReference(messaging).WithEnvironment("Proxy__Token", proxyToken)
    .WaitFor(authDb).WaitFor(messaging);

var clusters = builder.AddProject("clusters", "../services/Clusters/Platform.Clusters.csproj")
    .WithHostPrerequisite("Dask", "python3-distributed", "/usr/bin/dask-scheduler").WithEnvironment("Proxy__Token", proxyToken)
    // Locally, Dask processes belong to this run: kept with its data, and stopped with it on Ctrl+C.
    .WithLocalEnvironment("Clusters__DataDirectory", Path.Combine(builder.DataDirectory, "clusters"))
    .WithLocalEnvironment("Clusters__StopClustersOnShutdown", "true")
    .WithReference(clustersDb).WithReference(messaging).WithReference(auth)
    .WaitFor(clustersDb).WaitFor(messaging).WaitFor(auth);

var webhooks = builder.AddProject("webhooks", "../services/Webhooks/Platform.Webhooks.csproj")
    .WithReference(webhooksDb).WithReference(messaging).WithReference(auth)
    .WaitFor(webhooksDb).WaitFor(messaging).WaitFor(auth);

var plugins = builder.AddProject("plugins", "../services/Plugins/Platform.Plugins.csproj")
    .WithReference(pluginsDb).WithReference(messaging).WithReference(objects).WithReference(auth)
    .WaitFor(pluginsDb).WaitFor(messaging).WaitFor(objects).WaitFor(auth);

// The one public entry point: routes to every service, and learns cluster routes from events.
builder.AddProject("proxy", "../services/Proxy/Platform.Proxy.csproj").WithHttpPort(8000).WithExternalHttpEndpoints()
    .WithEnvironment("Proxy__Token", proxyToken)
    .WithReference(messaging).WithReference(auth).WithReference(clusters).WithReference(webhooks).WithReference(plugins)
    .WaitFor(messaging).WaitFor(auth).WaitFor(clusters).WaitFor(webhooks).WaitFor(plugins);

builder.Build().Run();
