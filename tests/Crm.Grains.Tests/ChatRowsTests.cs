using Npgsql;

namespace Crm.Grains.Tests;

/// <summary>A chat's rows are its one source of truth: it comes back from them alone, and each change is one commit.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ChatRowsTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    private async Task<(string Tenant, string Key, IChatGrain Chat, ClientProfile Client)> ChatAsync(string phone)
    {
        var tenant = Fresh.Tenant();
        var (_, client) = await Fresh.ClientAsync(Grains, tenant, "Rowan",
            new ContactDraft { Type = ContactType.Phone, Value = phone }, new ContactDraft { Type = ContactType.Email, Value = "rowan@client.example" });
        var key = Ids.Key(tenant, client.Id);
        return (tenant, key, Grains.GetGrain<IChatGrain>(key), client);
    }

    private async Task<ChatMessage> MessageAsync(IChatGrain chat, long seq) =>
        (await chat.GetMessagesAsync(null, seq - 1, 1)).Value!.Items[0];

    [Fact]
    public async Task ADeactivatedChatComesBackFromItsRowsAlone()
    {
        var (tenant, key, chat, _) = await ChatAsync("+14155550188");
        var (ann, bob) = (Fresh.Agent(tenant), Fresh.Agent(tenant));
        var thread = new Dictionary<string, string> { ["emailMessageId"] = "m1@client.example", ["emailSubject"] = "Invoice 42" };
        foreach (var text in new[] { "one", "two", "three" })
        {
            await chat.ReceiveAsync(Fresh.Inbound(tenant, text, transport: Transport.Email) with
            {
                ContactType = ContactType.Email, ContactValue = "rowan@client.example", Metadata = thread,
            });
        }
        await chat.MarkReadAsync(2, ann);
        await chat.AddMemberAsync(new MemberDraft { Kind = MemberKind.Service, ServiceName = "billing-bot" }, ann);
        var held = "held " + Guid.NewGuid();
        fixture.Sender.Script(held, SendOutcome.Retry("503", after: TimeSpan.FromSeconds(2)));
        var pending = (await chat.SendAsync(new OutgoingMessage { Text = held }, ann)).Value!;
        await ClusterFixture.EventuallyAsync(async () => await fixture.CountAsync(
                "select count(*) from messages where tenant_id = $1 and seq = $2 and attempts = 1 and not in_flight and next_attempt_at is not null", tenant, pending.Seq) == 1,
            "the first attempt failed and the retry waits in the outbox");
        var (annBefore, bobBefore) = ((await chat.GetAsync(ann)).Value!, (await chat.GetAsync(bob)).Value!);

        await fixture.Cluster.DeactivateAsync(chat);
        var (annAfter, bobAfter) = ((await chat.GetAsync(ann)).Value!, (await chat.GetAsync(bob)).Value!);
        await ClusterFixture.EventuallyAsync(async () => (await MessageAsync(chat, pending.Seq)).Status == MessageStatus.Sent, "the queued message goes out");

        Assert.Equal(0, await fixture.CountAsync("select count(*) from orleansstorage where graintypestring = 'chat' and grainidextensionstring = $1", key));
        Assert.Equal((1L, 3L), (annAfter.UnreadCount, bobAfter.UnreadCount));
        Assert.Equal((annBefore.UnreadCount, bobBefore.UnreadCount), (annAfter.UnreadCount, bobAfter.UnreadCount));
        Assert.Equal(annBefore.Members, annAfter.Members);
        Assert.Equal(3, annAfter.Members.Count);
        Assert.Equal((annBefore.CreatedAt, annBefore.LastMessageAt, annBefore.LastMessage), (annAfter.CreatedAt, annAfter.LastMessageAt, annAfter.LastMessage));
        var retried = fixture.Sender.For(tenant).Where(e => e.Text == held).ToList();
        Assert.Equal(2, retried.Count);
        Assert.Equal((Transport.Email, "rowan@client.example", 2), (retried[1].Transport, retried[1].To, retried[1].Attempt));
        Assert.Equal(thread, retried[1].Thread);
    }

    [Fact]
    public async Task AnInboundMessageToAnExistingChatIsOneWriteOfItsOwn()
    {
        var (tenant, _, chat, client) = await ChatAsync("+14155550187");
        await chat.ReceiveAsync(Fresh.Inbound(tenant, "first").From(client));
        using var meter = new CommitMeter();
        await meter.QuietAsync();

        // Another test's delivery may commit meanwhile; the fewest counted over three messages is this path's own.
        var counted = new List<(int Writes, int Commits, int Statements)>();
        ChatMessage? last = null;
        for (var i = 0; i < 3; i++)
        {
            meter.Take();
            last = (await chat.ReceiveAsync(Fresh.Inbound(tenant, $"next {i}").From(client))).Value!.Message;
            counted.Add(meter.Take());
        }

        Assert.Equal(1, counted.Min(c => c.Writes));
        Assert.Equal(1, counted.Min(c => c.Commits));
        Assert.True(counted.Min(c => c.Statements) <= 6, $"statements: {string.Join(", ", counted.Select(c => c.Statements))}");
        // The message, the chat row and the audit record went in by the one same transaction.
        Assert.Equal(1, await fixture.CountAsync("""
            select count(distinct x) from (
                select xmin::text as x from messages where tenant_id = $1 and id = $2
                union all select xmin::text from chats where tenant_id = $1 and chat_id = $3
                union all select xmin::text from audit_events where tenant_id = $1 and subject_id = $2) rows
            """, tenant, last!.Id, last.ChatId));
    }

    [Fact]
    public async Task ASendIsOneWriteAndItsOutcomeAnother()
    {
        var (tenant, _, chat, _) = await ChatAsync("+14155550186");
        var agent = Fresh.Agent(tenant);
        await chat.SendAsync(new OutgoingMessage { Text = "warm up" }, agent);
        using var meter = new CommitMeter();
        await meter.QuietAsync();

        var queued = new List<(int Writes, int Commits, int Statements)>();
        var settled = new List<(int Writes, int Commits, int Statements)>();
        for (var i = 0; i < 3; i++)
        {
            meter.Take();
            var sent = (await chat.SendAsync(new OutgoingMessage { Text = $"send {i} {Guid.NewGuid()}" }, agent)).Value!;
            queued.Add(meter.Take());
            await ClusterFixture.EventuallyAsync(async () => (await MessageAsync(chat, sent.Seq)).Status == MessageStatus.Sent, "the message is sent");
            settled.Add(meter.Take());
        }

        // The worker's report can begin its commit before the send's answer is counted, so the split between the two
        // windows may shift by that one write; each send's whole cost may not.
        Assert.Equal((1, 4), (queued.Min(c => c.Writes), queued.Min(c => c.Statements)));
        Assert.All(queued.Zip(settled, (q, s) => (q.Writes + s.Writes, q.Statements + s.Statements)), total => Assert.Equal((2, 7), total));
    }

    [Fact]
    public async Task AReceiveWhoseAuditRecordCannotBeWrittenLeavesNoMessageAndTheChatCarriesOn()
    {
        var (tenant, _, chat, client) = await ChatAsync("+14155550185");
        await chat.ReceiveAsync(Fresh.Inbound(tenant, "first").From(client));
        var inbound = Fresh.Inbound(tenant, "lost with its audit record").From(client);
        var refusal = "refuse_" + tenant;

        await fixture.CountAsync($"alter table audit_events add constraint {refusal} check (tenant_id <> '{tenant}' or action <> 'message.received') not valid");
        Exception? failed;
        try
        {
            failed = await Record.ExceptionAsync(() => chat.ReceiveAsync(inbound));
        }
        finally
        {
            await fixture.CountAsync($"alter table audit_events drop constraint {refusal}");
        }
        var rowsAfterFailure = await fixture.CountAsync("select count(*) from messages where tenant_id = $1", tenant);
        var lastSeqAfterFailure = await fixture.CountAsync("select last_seq from chats where tenant_id = $1", tenant);
        var redelivered = await chat.ReceiveAsync(inbound);

        Assert.NotNull(failed);
        Assert.Equal((1L, 1L), (rowsAfterFailure, lastSeqAfterFailure));
        Assert.Equal(2, redelivered.Value!.Message.Seq);
        Assert.Equal(2, await fixture.CountAsync("select count(*) from messages where tenant_id = $1", tenant));
        Assert.Equal(2, (await chat.GetAsync(Fresh.Agent(tenant))).Value!.UnreadCount);
    }

    /// <summary>
    /// A chat as the state-based version left it: grain state (System.Text.Json, CrmJson's names) holding the outbox,
    /// a read horizon and the thread, next to its rows. Migration 0017 folds the state into the rows and deletes it.
    /// </summary>
    [Fact]
    public async Task AnUpgradedChatLosesNoQueuedMessageReadHorizonOrThread()
    {
        var tenant = Fresh.Tenant();
        var (_, client) = await Fresh.ClientAsync(Grains, tenant, "Olga", new ContactDraft { Type = ContactType.Phone, Value = "+14155550184" });
        var key = Ids.Key(tenant, client.Id);
        var chatId = Ids.ChatIdOf(client.Id);
        var reader = Ids.New("us");
        var past = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O");
        await using (var db = new NpgsqlConnection(fixture.ConnectionString))
        {
            await db.OpenAsync();
            await using var insert = new NpgsqlCommand($$"""
                insert into messages (tenant_id, chat_id, seq, id, client_id, direction, transport, sender, text, inbound_count, created_at, status, provider_message_id)
                values ('{{tenant}}', '{{chatId}}', 1, '{{Ids.New("msg")}}', '{{client.Id}}', 'inbound', 'whatsapp', '{"type":"whatsapp"}', 'hi', 1, now(), 'received', 'wamid.1'),
                       ('{{tenant}}', '{{chatId}}', 2, '{{Ids.New("msg")}}', '{{client.Id}}', 'outbound', 'whatsapp', '{"type":"user"}', 'under way at the upgrade', 1, now(), 'queued', null),
                       ('{{tenant}}', '{{chatId}}', 3, '{{Ids.New("msg")}}', '{{client.Id}}', 'outbound', 'whatsapp', '{"type":"user"}', 'waiting for its retry', 1, now(), 'queued', null),
                       ('{{tenant}}', '{{chatId}}', 4, '{{Ids.New("msg")}}', '{{client.Id}}', 'outbound', 'whatsapp', '{"type":"user"}', 'never acknowledged', 1, now(), 'queued', null);
                insert into chats (tenant_id, chat_id, client_id, created_at, last_message_at, sort_at, last_seq, inbound_count, last_message, members)
                values ('{{tenant}}', '{{chatId}}', '{{client.Id}}', now(), now(), now(), 4, 1, null,
                        '[{"id":"mb_1","kind":"client","userId":null,"transport":"whatsapp","createdAt":"{{past}}","clientId":"{{client.Id}}","serviceName":null}]');
                insert into OrleansStorage (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
                values (1, 0, 0, 2, 'chat', '{{key}}', 'crm', convert_to($state$
                    {"created":true,"createdAt":"{{past}}","lastSeq":3,"inboundCount":1,"lastMessageAt":"{{past}}",
                     "lastMessage":{"seq":3,"text":"waiting for its retry","direction":"outbound","transport":"whatsapp","createdAt":"{{past}}"},
                     "members":[{"id":"mb_1","kind":"client","userId":null,"transport":"whatsapp","createdAt":"{{past}}","clientId":"{{client.Id}}","serviceName":null}],
                     "readHorizons":{"{{reader}}":{"seq":1,"inboundCount":1,"at":"{{past}}"} },
                     "recentKeys":{"prov:whatsapp:wamid.1":1},"lastInboundTransport":"whatsapp",
                     "outbox":[{"seq":2,"attempts":1,"nextAttemptAt":"{{past}}","inFlight":true},{"seq":3,"attempts":1,"nextAttemptAt":"{{past}}","inFlight":false}],
                     "lastInboundFrom":{"whatsapp":"\u002B14155550143"},"thread":{"waId":"14155550143"} }
                    $state$, 'UTF8'), now(), 7);
                """, db);
            await insert.ExecuteNonQueryAsync();
            await using var migrate = await db.BeginTransactionAsync();
            await using var script = typeof(Crm.Silo.CrmDatabase).Assembly.GetManifestResourceStream("Crm.Migrations.0017_crm_chat_source.sql")!;
            await using var upgrade = new NpgsqlCommand(await new StreamReader(script).ReadToEndAsync(), db, migrate);
            await upgrade.ExecuteNonQueryAsync();
            await migrate.CommitAsync();
        }

        var chat = Grains.GetGrain<IChatGrain>(key);
        var asReader = (await chat.GetAsync(Fresh.Agent(tenant, reader))).Value!;
        var asOther = (await chat.GetAsync(Fresh.Agent(tenant))).Value!;
        await ClusterFixture.EventuallyAsync(async () => (await MessageAsync(chat, 3)).Status == MessageStatus.Sent, "the queued message goes out");
        var reply = (await chat.SendAsync(new OutgoingMessage { Text = "after the upgrade" }, Fresh.Agent(tenant))).Value!;

        Assert.Equal(0, await fixture.CountAsync("select count(*) from orleansstorage where graintypestring = 'chat'"));
        Assert.Equal((0L, 1L), (asReader.UnreadCount, asOther.UnreadCount));
        Assert.Equal((MessageStatus.Failed, "interrupted"), ((await MessageAsync(chat, 2)).Status, (await MessageAsync(chat, 2)).ErrorCode));
        Assert.Equal((MessageStatus.Failed, "unconfirmed"), ((await MessageAsync(chat, 4)).Status, (await MessageAsync(chat, 4)).ErrorCode));
        var sent = Assert.Single(fixture.Sender.For(tenant), e => e.Seq == 3);
        Assert.Equal((Transport.Whatsapp, "+14155550143", "14155550143"), (sent.Transport, sent.To, sent.Thread["waId"]));
        Assert.DoesNotContain(fixture.Sender.For(tenant), e => e.Seq is 2 or 4);
        Assert.Equal((5L, Transport.Whatsapp), (reply.Seq, reply.Transport));
    }
}
