using Crm.Api;
using Crm.Silo;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCrmSettingsFile();
var crm = builder.Configuration.GetCrmOptions();
// In a cluster the silos migrate at start; an API client node migrates only when asked to.
if (crm.Role == ApiRole.CoHosted || args.Contains("migrate"))
    await CrmDatabase.MigrateAsync(builder.Configuration.GetCrmConnectionString());
if (args.Contains("migrate"))
    return;
if (args.Contains("dead-letters"))
{
    var connectionString = builder.Configuration.GetCrmConnectionString();
    if (args.Contains("--replay"))
        Console.WriteLine($"{await StreamDeadLetters.ReplayAsync(connectionString)} dead letters put back on their queues");
    foreach (var queue in await StreamDeadLetters.ListAsync(connectionString))
    {
        Console.WriteLine($"{queue.Provider} queue {queue.Number}: {queue.Count} dead letters, oldest died {queue.OldestDeadAt:u}");
        foreach (var (reason, count) in queue.Reasons)
            Console.WriteLine($"  {count} x {reason}");
    }
    return;
}

if (crm.Role == ApiRole.Client)
{
    builder.UseOrleansClient(client => client.AddCrmClient(builder.Configuration));
    builder.Services.AddCrmApiClientServices(builder.Configuration);
}
else
{
    builder.UseOrleans(silo => silo.AddCrmSilo(builder.Configuration));
}
builder.Services.ConfigureHttpJsonOptions(o => CrmJson.Configure(o.SerializerOptions));
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = RequestLimits.MaxBodyBytes);
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.AddCrmDataProtection();
builder.Services.AddCrmAuthorization();
builder.Services.AddCrmForwardedHeaders(builder.Configuration);
builder.Services.AddCrmRateLimiting(builder.Configuration);
builder.Services.AddInvites(builder.Configuration);
builder.Services.AddCors();
builder.Services.AddCrmHealthChecks(crm.Role);
builder.Services.AddCrmTelemetry(builder.Configuration, "crm-api");
builder.Services.AddOpenApi();
builder.Services.AddEventStreams(builder.Configuration);

var app = builder.Build();
// First: the client's address and scheme, as trusted proxies forward them, for everything after (limits, cookies, logs).
app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseRequestLimits();
app.UseStatusCodePages();
app.UseCors();
app.UseConsole();
app.UseAuthentication();
app.UseSessionAntiforgery();
app.UseRateLimiter();
app.UseAuthorization();
app.UseCleanInput();

app.MapOpenApi();
app.MapScalarApiReference("/docs");
app.MapHealthEndpoints();
app.MapDiagnosticsEndpoints();
app.MapSessionEndpoints();
app.MapInviteEndpoints();
app.MapTenantEndpoints();
app.MapRetentionEndpoints();
app.MapAuditEndpoints();
app.MapClientEndpoints();
app.MapChatEndpoints();
app.MapMessageEndpoints();
app.MapTemplateEndpoints();
app.MapAttachmentEndpoints();
app.MapWebhookEndpoints();
app.MapChannelEndpoints();
app.MapEventEndpoints();

await app.RunAsync();

public partial class Program;
