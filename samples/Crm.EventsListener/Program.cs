// An external service that follows one tenant's events through an Orleans client of the Crm cluster.
//
//   ConnectionStrings__Crm="Host=127.0.0.1;Port=55432;Database=crm;Username=postgres" \
//     dotnet run --project samples/Crm.EventsListener -- <tenantId>
//
// It prints one line per event until Ctrl-C. Events are delivered at least once: the id is stable,
// so a consumer that must act once keeps the ids it has handled.
using Crm.Grains;
using Crm.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Streams;

if (args is not [var tenantId])
{
    Console.Error.WriteLine("usage: Crm.EventsListener <tenantId>");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.UseOrleansClient(client => client.AddCrmClient(builder.Configuration));
using var host = builder.Build();
await host.StartAsync();

var events = host.Services.GetRequiredService<IClusterClient>()
    .GetStreamProvider(StreamNames.Provider)
    .GetStream<CrmEvent>(StreamId.Create(StreamNames.Events, tenantId));
var subscription = await events.SubscribeAsync((e, _) =>
{
    Console.WriteLine($"{e.At:O} {e.Type,-16} {e.ChatId} #{e.Seq} {e.Message?.Status} {e.Message?.Text}");
    return Task.CompletedTask;
});
Console.WriteLine($"Listening to the events of {tenantId}; Ctrl-C to stop.");

var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
await stop.Task;
await subscription.UnsubscribeAsync();
await host.StopAsync();
return 0;
