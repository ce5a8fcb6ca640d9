using Platform.Hosting;
using Platform.Hosting.ObjectStore;
using Platform.Hosting.Parameters;
using Platform.Hosting.Postgres;
using Platform.Hosting.Prerequisites;
using Platform.Hosting.Publishing;
using Platform.Hosting.RabbitMQ;

var builder = DistributedApplication.CreateBuilder(args);

// What an operator decides (README, "Parameters"): Parameters__admins=alice dotnet run --project AppHost.
// AddParameter(name, "value") would be a constant that configuration cannot change; these read it first.
IResourceBuilder<ParameterResource> Setting(string name, string fallback) =>
    builder.AddParameter(name, () => builder.Configuration[$"Parameters:{name}"] ?? fallback, publishValueAsDefault: true);
var admins = Setting("admins", "");
var authType = Setting("auth-type", "simple");
// Published, the simple password and the sealing key have no default: the operator creates them as a Kubernetes Secret.
var simplePassword = builder.AddOperatorPassword("simple-password");
var jupyterHubUrl = Setting("jupyterhub-url", "");
var webhooksAllowedHosts = Setting("webhooks-allowed-hosts", "");

// Generated once and kept in the AppHost's user secrets: the proxy token that internal calls present, and the key
// that seals secrets at rest.
var proxyToken = builder.AddParameter("proxy-token", new GenerateParameterDefault { MinLength = 64, Special = false }, secret: true, persist: true);
var sealingKey = builder.AddGeneratedKey("sealing-key");

// Infrastructure: each service owns its database; events travel over RabbitMQ; plugin packages live in the object store.
var postgres = builder.AddPostgresResources("postgres");
var authDb = postgres.AddDatabase("authdb");
var clustersDb = postgres.AddDatabase("clustersdb");
var webhooksDb = postgres.AddDatabase("webhooksdb");
var pluginsDb = postgres.AddDatabase("pluginsdb");
var messaging = builder.AddMessageBroker("messaging");
var objects = builder.AddObjectStore("objects");

// Auth loads plugin authenticators from the packages in the object store.
var auth = builder.AddProject<Projects.Platform_Auth>("auth").WithServiceEndpoint()
    .WithReference(authDb).WaitFor(authDb).WithReference(messaging).WaitFor(messaging).WithReference(objects).WaitFor(objects)
    .WithEnvironment("Proxy__Token", proxyToken).WithEnvironment("Secrets__SealingKey", sealingKey)
    .WithEnvironment("Auth__Admins", admins).WithEnvironment("Auth__Type", authType)
    .WithEnvironment("Auth__Simple__Password", simplePassword).WithEnvironment("Auth__JupyterHub__Url", jupyterHubUrl);

var plugins = builder.AddProject<Projects.Platform_Plugins>("plugins").WithServiceEndpoint()
    .WithReference(pluginsDb).WaitFor(pluginsDb).WithReference(messaging).WaitFor(messaging)
    .WithReference(objects).WaitFor(objects).WithReference(auth).WaitFor(auth)
    .WithEnvironment("Secrets__SealingKey", sealingKey);

var clusters = builder.AddProject<Projects.Platform_Clusters>("clusters").WithServiceEndpoint()
    .WithHostPrerequisite("Dask", "python3-distributed", "/usr/bin/dask-scheduler")
    .WithReference(clustersDb).WaitFor(clustersDb).WithReference(messaging).WaitFor(messaging).WithReference(auth).WaitFor(auth)
    // Plugin validators are asked before every create and scale; when Plugins does not answer, Clusters refuses
    // (fail-closed, its default), so a policy a plugin enforces is never skipped by a crash. Locally it waits longer
    // than the deployed 5 s: a busy machine's cold Plugins (JIT, keys from Auth) took more on its first answer.
    .WithReference(plugins).WaitFor(plugins)
    .WithLocalEnvironment("Clusters__Validation__Timeout", _ => "00:00:30")
    .WithEnvironment("Proxy__Token", proxyToken).WithEnvironment("Secrets__SealingKey", sealingKey)
    // Locally, Dask processes belong to this run: kept with its data, and stopped with it on Ctrl+C.
    .WithLocalEnvironment("Clusters__DataDirectory", data => Path.Combine(data, "clusters"))
    .WithLocalEnvironment("Clusters__StopClustersOnShutdown", _ => "true");

var webhooks = builder.AddProject<Projects.Platform_Webhooks>("webhooks").WithServiceEndpoint()
    .WithReference(webhooksDb).WaitFor(webhooksDb).WithReference(messaging).WaitFor(messaging).WithReference(auth).WaitFor(auth)
    .WithEnvironment("Secrets__SealingKey", sealingKey).WithEnvironment("Webhooks__AllowedHosts", webhooksAllowedHosts);

// The one public entry point, on its own socket (no DCP proxy in front of the SNI splice): routes to every service,
// and learns cluster routes from events.
builder.AddProject<Projects.Platform_Proxy>("proxy")
    .WithHttpEndpoint(port: builder.PublicPort(), name: "http", isProxied: false).WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithEnvironment("Proxy__Token", proxyToken)
    .WithReference(messaging).WaitFor(messaging).WithReference(auth).WaitFor(auth).WithReference(clusters).WaitFor(clusters)
    .WithReference(webhooks).WaitFor(webhooks).WithReference(plugins).WaitFor(plugins);

// Locally the services run as Production, as they are deployed: the same safety checks (no passwordless simple
// authenticator, a sealing key required) and no developer exception pages; DCP passes no environment name on. Locally
// and published, each keeps glibc to two malloc arenas (smaller idle RSS on a Pi).
builder.ConfigureServiceProcesses("Production");
builder.AddStartupSummary();
// DCP leaves a crashed process exited; locally the AppHost restarts it, as Kubernetes does when published.
builder.AddRestartOnCrash();
builder.Build().Run();

// Publishing Aspire's manifest also writes, beside it, the Kubernetes manifests for the Pi cluster.
KubernetesPublisher.PublishBesideManifest(builder.Configuration);
