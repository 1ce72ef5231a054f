using System.Net;
using Crm.Providers;
using Crm.Silo;
using Crm.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Api.Tests;

/// <summary>
/// A stream message that failed every delivery waits in the dead letters; replaying them (<c>./crm dead-letters
/// --replay</c>) delivers it. The test makes the failure by moving every row inserted into the queue to the dead letters
/// with a trigger, in a database of its own.
/// </summary>
public sealed class DeadLetterTests
{
    private const string AuthToken = "dead-letter-token";

    [Fact]
    public async Task AnAcknowledgedMessageThatWentToTheDeadLettersIsStoredOnceAfterAReplay()
    {
        var db = await PostgresServer.CreateDatabaseAsync();
        await using var factory = new CrmApiFactory(db);
        await using var twilio = await FakeTwilio.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        factory.ConfigureChannels(tenant.Id, c => c.Twilio = new TwilioSettings
        {
            AccountSid = TwilioForms.AccountSid, AuthToken = AuthToken, SmsFrom = "+15005550006", BaseUrl = twilio.BaseUrl.ToString(),
        });
        var driver = new TwilioDriver(factory, tenant.Id, AuthToken);
        var serviceId = factory.Services.GetRequiredService<IConfiguration>().GetCrmOptions().ServiceId;
        await ProcessScenario.ExecuteAsync(db, """
            create function test_bury() returns trigger language plpgsql as $body$
            begin
                insert into orleansstreamdeadletter (serviceid, providerid, queueid, messageid, dequeued, visibleon, expireson, createdon, modifiedon, deadon, removeon, payload)
                values (new.serviceid, new.providerid, new.queueid, new.messageid, 10, new.visibleon, new.expireson, new.createdon, now(), now(), now() + interval '7 days', new.payload);
                delete from orleansstreammessage
                 where serviceid = new.serviceid and providerid = new.providerid and queueid = new.queueid and messageid = new.messageid;
                return null;
            end $body$;
            create trigger test_bury after insert on orleansstreammessage for each row execute function test_bury();
            """);

        var acknowledged = await driver.MessageAsync(TwilioForms.Sms("+14155550190", "Where is my parcel?"));
        await Task.Delay(1000);
        var storedBefore = await ProcessScenario.ScalarAsync(db, "select count(*) from messages where tenant_id = $1", tenant.Id);
        var buried = await StreamDeadLetters.ListAsync(db, serviceId);
        await ProcessScenario.ExecuteAsync(db, "drop trigger test_bury on orleansstreammessage");
        var replayed = await StreamDeadLetters.ReplayAsync(db, serviceId);
        await Channel.EventuallyAsync(() => ProcessScenario.ScalarAsync(db, "select count(*) from messages where tenant_id = $1", tenant.Id), n => n > 0, "the replayed message is stored");
        var againReplayed = await StreamDeadLetters.ReplayAsync(db, serviceId);
        await Task.Delay(1000);

        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        Assert.Equal(0, storedBefore);
        Assert.Equal(1, Assert.Single(buried).Count);
        Assert.Equal((1, 0), (replayed, againReplayed));
        Assert.Equal(1, await ProcessScenario.ScalarAsync(db, "select count(*) from messages where tenant_id = $1", tenant.Id));
        Assert.Empty(await StreamDeadLetters.ListAsync(db, serviceId));
    }
}
