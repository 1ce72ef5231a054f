using System.Collections.Concurrent;
using Crm.Grains;
using Crm.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Streams;

namespace Crm.Api.Tests;

/// <summary>
/// Another service follows a tenant's events with its own Orleans client, configured exactly as
/// samples/Crm.EventsListener does: it finds the cluster in PostgreSQL and reads the durable stream.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ExternalSubscriberTests(ApiFixture fixture)
{
    [Fact]
    public async Task AnOrleansClientInAnotherHostReceivesOneTenantsEventsOnly()
    {
        var factory = fixture.Factory;
        var tenant = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var otherChatId = await other.Admin.ChatIdAsync(await other.Admin.CreateClientIdAsync(phone: "+14155550189"));

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Crm"] = factory.ConnectionString,
            ["Crm:ClusterId"] = factory.ClusterId,
        });
        builder.UseOrleansClient(client => client.AddCrmClient(builder.Configuration));
        using var service = builder.Build();
        await service.StartAsync();
        var received = new ConcurrentQueue<CrmEvent>();
        var subscription = await service.Services.GetRequiredService<IClusterClient>()
            .GetStreamProvider(StreamNames.Provider)
            .GetStream<CrmEvent>(StreamId.Create(StreamNames.Events, tenant.Id))
            .SubscribeAsync((e, _) => { received.Enqueue(e); return Task.CompletedTask; });

        await other.Admin.SendOkAsync(otherChatId, "for the other tenant");
        await tenant.Admin.SendOkAsync(chatId, "for the subscriber");
        await Channel.EventuallyAsync(() => Task.FromResult(received.Any(e => e.Type == EventTypes.MessageQueued)), any => any, "the event reaches the other host");
        await subscription.UnsubscribeAsync();
        await service.StopAsync();

        Assert.All(received, e => Assert.Equal(tenant.Id, e.TenantId));
        Assert.Equal("for the subscriber", received.First(e => e.Type == EventTypes.MessageQueued).Message!.Text);
    }
}
