using Crm.Silo;

// A Crm silo on its own: grains, storage, streams, channel senders and receivers, no public API.
// API nodes reach it as Orleans clients (Crm.Api with Crm:Role=Client). Probes: /health/live and
// /health/ready on Crm:HealthPort (ready = this silo is an active member of the cluster).
var builder = WebApplication.CreateBuilder(args);
var crm = builder.Configuration.GetCrmOptions();

// Every silo migrates at start; DbUp's journal makes this a no-op once done. Start the first silo alone
// before the others when the schema changes, or run `Crm.Silo.Host migrate` as a deployment step.
await CrmDatabase.MigrateAsync(builder.Configuration.GetCrmConnectionString());
if (args.Contains("migrate"))
    return;

var health = builder.Configuration.GetValue("Crm:HealthPort", 8081);
var healthHost = builder.Configuration["Crm:HealthHost"] ?? "127.0.0.1";
builder.WebHost.UseUrls($"http://{healthHost}:{health}");

builder.UseOrleans(silo =>
{
    silo.AddCrmSilo(builder.Configuration);
    // Last, so that its pod IP, ports and cluster id (ORLEANS_CLUSTER_ID, ORLEANS_SERVICE_ID, POD_IP) win; it also
    // removes silos of deleted pods from membership. Crm:ClusterId and Crm:ServiceId must match for API clients.
    if (builder.Configuration.GetValue("Crm:Kubernetes", false))
        silo.UseKubernetesHosting();
});
builder.Services.AddHealthChecks().AddCheck<SiloReadyCheck>("silo", tags: ["ready"]);
builder.Services.AddCrmTelemetry(builder.Configuration, "crm-silo");

var app = builder.Build();
app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready") });
await app.RunAsync();
