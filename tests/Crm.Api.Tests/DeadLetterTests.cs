using System.Net;
using Crm.Grains;
using Crm.Providers;
using Crm.Silo;
using Crm.Testing;

namespace Crm.Api.Tests;

/// <summary>
/// A stream item that failed every delivery waits in the dead letters with its reason; replaying them (<c>./crm
/// dead-letters --replay</c>) delivers it, and erasing its client deletes it. The tests make the failure by moving
/// every row queued for the tenant to the dead letters with a trigger, in a database of their own.
/// </summary>
public sealed class DeadLetterTests
{
    private const string AuthToken = "dead-letter-token";
    private const string Reason = "test: buried when queued";

    [Fact]
    public async Task AnAcknowledgedMessageThatWentToTheDeadLettersIsStoredOnceAfterAReplay()
    {
        await using var setup = await Setup.StartAsync();
        var (db, driver, tenant) = (setup.Db, setup.Driver, setup.Tenant);
        await BuryEverythingQueuedAsync(db, tenant.Id);

        var acknowledged = await driver.MessageAsync(TwilioForms.Sms("+14155550190", "Where is my parcel?"));
        var buried = await StreamDeadLetters.ListAsync(db);
        var storedBefore = await MessagesAsync(db, tenant.Id);
        await ProcessScenario.ExecuteAsync(db, "drop trigger test_bury on stream_queue");
        var replayed = await StreamDeadLetters.ReplayAsync(db);
        await Channel.EventuallyAsync(() => QueuedAsync(db, tenant.Id), n => n == 0, "the replayed row is delivered and deleted");
        var againReplayed = await StreamDeadLetters.ReplayAsync(db);

        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        Assert.Equal(0, storedBefore);
        var queue = Assert.Single(buried);
        Assert.Equal((StreamNames.InboundProvider, 1L), (queue.Provider, queue.Count));
        Assert.Equal((Reason, 1L), Assert.Single(queue.Reasons));
        Assert.Equal((1, 0), (replayed, againReplayed));
        Assert.Equal(1, await MessagesAsync(db, tenant.Id));
        Assert.Empty(await StreamDeadLetters.ListAsync(db));
    }

    [Fact]
    public async Task AnErasedClientsDeadLettersAreGoneAndAReplayBringsNothingOfItBack()
    {
        const string phone = "+14155550191";
        await using var setup = await Setup.StartAsync();
        var (db, driver, tenant) = (setup.Db, setup.Driver, setup.Tenant);
        var clientId = await tenant.Admin.CreateClientIdAsync("Zelda", phone);
        var chatId = await tenant.Admin.ChatIdAsync(clientId);
        await BuryEverythingQueuedAsync(db, tenant.Id);
        var sent = await tenant.Admin.SendOkAsync(chatId, "Your order shipped");
        // Accepted by the provider: the chat appends no more events of its own before the erasure.
        await Channel.MessageWhenAsync(tenant, chatId, sent.Str("id"), m => m.Str("status") == "sending", "the provider accepted the reply");
        Assert.Equal(HttpStatusCode.OK, (await driver.MessageAsync(TwilioForms.Sms(phone, "Where is my parcel?"))).StatusCode);
        var contactKey = $"{tenant.Id}/phone/{phone}";
        var buriedEvents = await DeadAsync(db, tenant.Id, clientId);
        var buriedMessages = await DeadAsync(db, tenant.Id, contactKey);

        var erase = await tenant.Admin.PostAsync($"/api/v1/clients/{clientId}/erase", null);
        await ProcessScenario.ExecuteAsync(db, "drop trigger test_bury on stream_queue");
        var replayed = await StreamDeadLetters.ReplayAsync(db);

        Assert.Equal(HttpStatusCode.OK, erase.StatusCode);
        Assert.True(buriedEvents > 0, "the message.queued event of the client went to the dead letters");
        Assert.Equal(1, buriedMessages);
        Assert.Equal(0, replayed);
        Assert.Equal(0, await DeadAsync(db, tenant.Id, clientId) + await DeadAsync(db, tenant.Id, contactKey));
        Assert.Equal(0, await QueuedAsync(db, tenant.Id));
        Assert.Equal(0, await MessagesAsync(db, tenant.Id));
        Assert.Equal(0, await ProcessScenario.ScalarAsync(db, "select count(*) from clients where tenant_id = $1", tenant.Id));
    }

    /// <summary>An API host on a database of its own, with a tenant whose SMS channel is a fake Twilio.</summary>
    private sealed class Setup(string db, CrmApiFactory factory, FakeTwilio twilio, Tenant tenant) : IAsyncDisposable
    {
        public string Db => db;
        public Tenant Tenant => tenant;
        public TwilioDriver Driver { get; } = new(factory, tenant.Id, AuthToken);

        public static async Task<Setup> StartAsync()
        {
            var db = await PostgresServer.CreateDatabaseAsync();
            var factory = new CrmApiFactory(db);
            var twilio = await FakeTwilio.StartAsync();
            var tenant = await factory.CreateTenantAsync();
            factory.ConfigureChannels(tenant.Id, c => c.Twilio = new TwilioSettings
            {
                AccountSid = TwilioForms.AccountSid, AuthToken = AuthToken, SmsFrom = "+15005550006", BaseUrl = twilio.BaseUrl.ToString(),
            });
            return new Setup(db, factory, twilio, tenant);
        }

        public async ValueTask DisposeAsync()
        {
            await factory.DisposeAsync();
            await twilio.DisposeAsync();
        }
    }

    /// <summary>Every row queued for the tenant goes straight to the dead letters, in the transaction that queued it.</summary>
    private static Task BuryEverythingQueuedAsync(string db, string tenantId) => ProcessScenario.ExecuteAsync(db, $$"""
        create function test_bury() returns trigger language plpgsql as $body$
        begin
            insert into stream_dead_letters (id, provider, queue, stream_namespace, stream_key, tenant_id, subject, payload, attempts, visible_at, created_at, reason)
            values (new.id, new.provider, new.queue, new.stream_namespace, new.stream_key, new.tenant_id, new.subject, new.payload, 10, new.visible_at, new.created_at, '{{Reason}}');
            delete from stream_queue where id = new.id;
            return null;
        end $body$;
        create trigger test_bury after insert on stream_queue for each row when (new.tenant_id = '{{tenantId}}') execute function test_bury();
        """);

    private static Task<long> MessagesAsync(string db, string tenantId) =>
        ProcessScenario.ScalarAsync(db, "select count(*) from messages where tenant_id = $1", tenantId);

    private static Task<long> QueuedAsync(string db, string tenantId) =>
        ProcessScenario.ScalarAsync(db, "select count(*) from stream_queue where tenant_id = $1", tenantId);

    private static Task<long> DeadAsync(string db, string tenantId, string subject) =>
        ProcessScenario.ScalarAsync(db, "select count(*) from stream_dead_letters where tenant_id = $1 and subject = $2", tenantId, subject);
}
