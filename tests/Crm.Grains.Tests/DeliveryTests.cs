using Orleans.Streams;

namespace Crm.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class DeliveryTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    private async Task<(string Tenant, ClientProfile Client, IChatGrain Chat)> ClientAsync()
    {
        var tenant = Fresh.Tenant();
        var (_, client) = await Fresh.ClientAsync(Grains, tenant, "Dana", new ContactDraft { Type = ContactType.Phone, Value = "+14155550142" });
        return (tenant, client, Grains.GetGrain<IChatGrain>(Ids.Key(tenant, client.Id)));
    }

    private async Task<ChatMessage> MessageAsync(IChatGrain chat, long seq) =>
        (await chat.GetMessagesAsync(null, seq - 1, 1)).Value!.Items[0];

    private Task WaitForStatusAsync(IChatGrain chat, long seq, MessageStatus status) =>
        ClusterFixture.EventuallyAsync(async () => (await MessageAsync(chat, seq)).Status == status, $"message {seq} is {status}");

    /// <summary>
    /// The message after <paramref name="after"/> as a silo that died leaves it: in the outbox, queued or in flight on
    /// its first attempt, due for <paramref name="dueFor"/> already; the chat's row counts it.
    /// </summary>
    private Task LeaveInOutboxAsync(string tenant, ChatMessage after, string text, bool inFlight, TimeSpan dueFor) =>
        fixture.CountAsync("""
            with left_behind as (
                insert into messages (tenant_id, chat_id, seq, id, client_id, direction, transport, sender, text, attachments, inbound_count,
                                      created_at, status, attempts, next_attempt_at, in_flight)
                select tenant_id, chat_id, seq + 1, id || 'x', client_id, direction, transport, sender, $4, attachments,
                       inbound_count, now(), 'queued', case when $5 then 1 else 0 end, now() - $6, $5
                  from messages where tenant_id = $1 and chat_id = $2 and seq = $3
                returning tenant_id, chat_id, seq)
            update chats c set last_seq = left_behind.seq from left_behind where c.tenant_id = left_behind.tenant_id and c.chat_id = left_behind.chat_id
            returning 1
            """, tenant, after.ChatId, after.Seq, text, inFlight, dueFor);

    [Fact]
    public async Task AQueuedMessageReachesItsProviderOnceAndIsMarkedSent()
    {
        var (tenant, _, chat) = await ClientAsync();

        var queued = (await chat.SendAsync(new OutgoingMessage { Text = "Your table is ready" }, Fresh.Agent(tenant))).Value!;
        await WaitForStatusAsync(chat, queued.Seq, MessageStatus.Sent);

        var envelope = Assert.Single(fixture.Sender.For(tenant));
        Assert.Equal(("+14155550142", Transport.Sms, "Your table is ready"), (envelope.To, envelope.Transport, envelope.Text));
        var sent = await MessageAsync(chat, queued.Seq);
        Assert.Equal("prov-" + queued.Id, sent.ProviderMessageId);
        Assert.NotNull(sent.SentAt);
    }

    /// <summary>
    /// What a silo that died during a provider call leaves behind: a row still in flight whose report deadline has
    /// passed. Nobody knows whether the provider got it, so it is marked failed for an agent, never sent blindly again.
    /// </summary>
    [Fact]
    public async Task AMessageWhoseReportNeverCameIsMarkedInterruptedNotSentAgain()
    {
        var (tenant, _, chat) = await ClientAsync();
        var first = (await chat.SendAsync(new OutgoingMessage { Text = "Your order shipped" }, Fresh.Agent(tenant))).Value!;
        await WaitForStatusAsync(chat, first.Seq, MessageStatus.Sent);
        await LeaveInOutboxAsync(tenant, first, "under way at the crash", inFlight: true, dueFor: TimeSpan.FromSeconds(1));

        await fixture.Cluster.DeactivateAsync(chat);
        await WaitForStatusAsync(chat, first.Seq + 1, MessageStatus.Failed);
        var next = (await chat.SendAsync(new OutgoingMessage { Text = "after the crash" }, Fresh.Agent(tenant))).Value!;
        await WaitForStatusAsync(chat, next.Seq, MessageStatus.Sent);

        Assert.Equal("interrupted", (await MessageAsync(chat, first.Seq + 1)).ErrorCode);
        Assert.DoesNotContain(fixture.Sender.For(tenant), e => e.Text == "under way at the crash");
        Assert.Equal(first.Seq + 2, next.Seq);
    }

    /// <summary>
    /// A chat whose silo died with a message queued is active nowhere, and nothing about it would call it again: the
    /// cluster's outbox sweep finds its overdue row and wakes it, and the message goes out.
    /// </summary>
    [Fact]
    public async Task TheOutboxSweepWakesAChatLeftWithAQueuedMessageAndTheMessageGoesOut()
    {
        var (tenant, _, chat) = await ClientAsync();
        var first = (await chat.SendAsync(new OutgoingMessage { Text = "Your order shipped" }, Fresh.Agent(tenant))).Value!;
        await WaitForStatusAsync(chat, first.Seq, MessageStatus.Sent);
        await fixture.Cluster.DeactivateAsync(chat);
        await LeaveInOutboxAsync(tenant, first, "queued before the crash", inFlight: false, dueFor: TimeSpan.FromMinutes(2));

        var woken = await Grains.GetGrain<IOutboxSweepGrain>(0).SweepAsync();

        // Only the provider is watched: reading the chat would activate it, which is what the sweep has to do.
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(fixture.Sender.For(tenant).Any(e => e.Text == "queued before the crash")),
            "the message left behind reaches its provider");
        Assert.True(woken >= 1, $"the sweep woke {woken} chats");
        await WaitForStatusAsync(chat, first.Seq + 1, MessageStatus.Sent);
    }

    /// <summary>A provider that stops answering holds up its own message only: the chat reads, queues and receives meanwhile.</summary>
    [Fact]
    public async Task AHangingProviderHoldsUpNeitherReadsNorSendsNorInboundMessagesOfItsChat()
    {
        var (tenant, client, chat) = await ClientAsync();
        var agent = Fresh.Agent(tenant);
        var text = "hangs " + Guid.NewGuid();
        var hanging = fixture.Sender.Hang(text, TimeSpan.FromSeconds(30));
        var stuck = (await chat.SendAsync(new OutgoingMessage { Text = text }, agent)).Value!;
        await hanging.WaitAsync(TimeSpan.FromSeconds(10));
        var hangBegan = System.Diagnostics.Stopwatch.StartNew();

        var view = await TimedAsync(() => chat.GetAsync(agent));
        var page = await TimedAsync(() => chat.GetMessagesAsync(null, null, 10));
        var queued = await TimedAsync(() => chat.SendAsync(new OutgoingMessage { Text = "sent while the provider hangs" }, agent));
        var received = await TimedAsync(() => chat.ReceiveAsync(Fresh.Inbound(tenant, "hello? anyone?").From(client)));
        var stillQueued = (await MessageAsync(chat, stuck.Seq)).Status;

        Assert.True(hangBegan.Elapsed < TimeSpan.FromSeconds(20), "the provider call was still under way throughout");
        Assert.Equal(MessageStatus.Queued, stillQueued);
        Assert.All(new[] { view.Took, page.Took, queued.Took, received.Took }, took => Assert.True(took < TimeSpan.FromSeconds(1), $"a call took {took}"));
        Assert.True(view.Result.IsOk && page.Result.IsOk && received.Result.IsOk);
        Assert.Equal((MessageStatus.Queued, stuck.Seq + 1), (queued.Result.Value!.Status, queued.Result.Value.Seq));
    }

    private static async Task<(T Result, TimeSpan Took)> TimedAsync<T>(Func<Task<T>> call)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await call();
        return (result, watch.Elapsed);
    }

    [Fact]
    public async Task ATransientFailureIsRetriedUntilItGoesThrough()
    {
        var (tenant, _, chat) = await ClientAsync();
        var text = "retry me " + Guid.NewGuid();
        fixture.Sender.Script(text,
            SendOutcome.Retry("503", after: TimeSpan.FromMilliseconds(100)),
            SendOutcome.Retry("429", after: TimeSpan.FromMilliseconds(100)));

        var queued = (await chat.SendAsync(new OutgoingMessage { Text = text }, Fresh.Agent(tenant))).Value!;
        await WaitForStatusAsync(chat, queued.Seq, MessageStatus.Sent);

        Assert.Equal(3, fixture.Sender.For(tenant).Count);
    }

    [Fact]
    public async Task APermanentFailureMarksTheMessageFailedWithTheProviderCode()
    {
        var (tenant, _, chat) = await ClientAsync();
        var text = "bad number " + Guid.NewGuid();
        fixture.Sender.Script(text, SendOutcome.Failed("21211", "Invalid 'To' Phone Number"));

        var queued = (await chat.SendAsync(new OutgoingMessage { Text = text }, Fresh.Agent(tenant))).Value!;
        await WaitForStatusAsync(chat, queued.Seq, MessageStatus.Failed);

        Assert.Equal("21211", (await MessageAsync(chat, queued.Seq)).ErrorCode);
        Assert.Single(fixture.Sender.For(tenant));
    }

    [Fact]
    public async Task AFailedMessageCanBeRetriedByAnAgent()
    {
        var (tenant, _, chat) = await ClientAsync();
        var text = "flaky " + Guid.NewGuid();
        fixture.Sender.Script(text, SendOutcome.Failed("30006", "Landline or unreachable carrier"));
        var queued = (await chat.SendAsync(new OutgoingMessage { Text = text }, Fresh.Agent(tenant))).Value!;
        await WaitForStatusAsync(chat, queued.Seq, MessageStatus.Failed);

        var retried = await chat.RetryAsync(queued.Seq, Fresh.Agent(tenant));
        await WaitForStatusAsync(chat, queued.Seq, MessageStatus.Sent);

        Assert.Equal(MessageStatus.Queued, retried.Value!.Status);
        Assert.Equal(2, fixture.Sender.For(tenant).Count);
    }

    [Fact]
    public async Task StatusReportsOnlyMoveForwardWhateverTheirOrder()
    {
        var (tenant, _, chat) = await ClientAsync();
        var queued = (await chat.SendAsync(new OutgoingMessage { Text = "ladder" }, Fresh.Agent(tenant))).Value!;
        await WaitForStatusAsync(chat, queued.Seq, MessageStatus.Sent);
        var at = DateTimeOffset.UtcNow;

        foreach (var status in new[] { MessageStatus.Read, MessageStatus.Delivered, MessageStatus.Sent, MessageStatus.Queued })
        {
            await fixture.Gateway.AcceptStatusAsync(new StatusReport
            {
                TenantId = tenant, Transport = Transport.Sms, ProviderMessageId = "prov-" + queued.Id, Status = status, At = at,
            });
        }

        var message = await MessageAsync(chat, queued.Seq);
        Assert.Equal(MessageStatus.Read, message.Status);
        Assert.NotNull(message.ReadAt);
        Assert.NotNull(message.DeliveredAt);
    }

    /// <summary>A widget polls its conversation (one owner read per poll) while the visitor keeps writing.</summary>
    [Fact]
    public async Task AContactAnswersReadsWhileABurstOfMessagesArrives()
    {
        var tenant = Fresh.Tenant();
        var contact = Grains.GetGrain<IContactGrain>(ContactRules.GrainKey(tenant, ContactType.Phone, "+14155550176"));
        var inbound = Fresh.Inbound(tenant, "first") with
        {
            ContactType = ContactType.Phone, ContactValue = "+14155550176", Sender = new Sender { Type = SenderType.Sms, Address = "+14155550176" },
        };

        var calls = new List<Task>();
        for (var i = 0; i < 40; i++)
        {
            calls.Add(contact.ReceiveAsync(inbound with { ProviderMessageId = Ids.New("SM"), Text = $"message {i}" }));
            calls.Add(contact.GetOwnerAsync());
            calls.Add(contact.GetOwnerAsync());
        }
        await Task.WhenAll(calls);

        var chat = Grains.GetGrain<IChatGrain>(Ids.Key(tenant, (await contact.GetOwnerAsync())!));
        Assert.Equal(40, (await chat.GetMessagesAsync(null, null, 100)).Value!.Items.Count);
    }

    [Fact]
    public async Task AnInboundMessageFromAnUnknownNumberCreatesClientChatAndMessageOnce()
    {
        var tenant = Fresh.Tenant();
        var inbound = Fresh.Inbound(tenant, "Hi, is my order ready?", "SM-first") with
        {
            ContactType = ContactType.Phone, ContactValue = "+14155550177", Sender = new Sender { Type = SenderType.Sms, Address = "+14155550177", DisplayName = "Eve Adams" },
        };

        await fixture.Gateway.AcceptMessageAsync(inbound);
        await fixture.Gateway.AcceptMessageAsync(inbound);
        var contact = Grains.GetGrain<IContactGrain>(ContactRules.GrainKey(tenant, ContactType.Phone, "+14155550177"));
        await ClusterFixture.EventuallyAsync(async () => await contact.GetOwnerAsync() is not null, "the contact has a client");
        var clientId = (await contact.GetOwnerAsync())!;
        var chat = Grains.GetGrain<IChatGrain>(Ids.Key(tenant, clientId));
        await ClusterFixture.EventuallyAsync(async () => (await chat.GetMessagesAsync(null, null, 10)).Value?.Items.Count > 0, "the message is in the chat");
        await Task.Delay(500);

        var client = await Grains.GetGrain<IClientGrain>(Ids.Key(tenant, clientId)).GetAsync();
        Assert.Equal(("Eve", "Adams", "+14155550177"), (client!.FirstName, client.LastName, Assert.Single(client.Contacts).Value));
        var message = Assert.Single((await chat.GetMessagesAsync(null, null, 10)).Value!.Items);
        Assert.Equal((MessageDirection.Inbound, MessageStatus.Received, "Hi, is my order ready?"), (message.Direction, message.Status, message.Text));
        Assert.Equal(1, (await chat.GetAsync(Fresh.Agent(tenant))).Value!.UnreadCount);
    }

    [Fact]
    public async Task RepliesGoWhereTheClientLastWroteFrom()
    {
        var (tenant, client, chat) = await ClientAsync();
        await Grains.GetGrain<IClientGrain>(Ids.Key(tenant, client.Id))
            .AddContactAsync(new ContactDraft { Type = ContactType.Whatsapp, Value = "+14155550143" }, Fresh.Agent(tenant));
        await chat.ReceiveAsync(Fresh.Inbound(tenant, "via whatsapp", transport: Transport.Whatsapp) with
        {
            ContactType = ContactType.Whatsapp, ContactValue = "+14155550143",
        });

        var reply = (await chat.SendAsync(new OutgoingMessage { Text = "reply on whatsapp" }, Fresh.Agent(tenant))).Value!;
        await WaitForStatusAsync(chat, reply.Seq, MessageStatus.Sent);

        var envelope = Assert.Single(fixture.Sender.For(tenant));
        Assert.Equal((Transport.Whatsapp, "+14155550143"), (envelope.Transport, envelope.To));
    }

    [Fact]
    public async Task StopBlocksTheNextSendOnThatChannelAndStartAllowsItAgain()
    {
        var (tenant, client, chat) = await ClientAsync();
        var contact = Grains.GetGrain<IContactGrain>(ContactRules.GrainKey(tenant, ContactType.Phone, client.Contacts[0].Value));
        var stop = Fresh.Inbound(tenant, "STOP").From(client);

        await contact.ReceiveAsync(stop);
        var blocked = await chat.SendAsync(new OutgoingMessage { Text = "promo", Transport = Transport.Sms }, Fresh.Agent(tenant));
        await contact.ReceiveAsync(Fresh.Inbound(tenant, "start").From(client));
        var allowed = await chat.SendAsync(new OutgoingMessage { Text = "welcome back", Transport = Transport.Sms }, Fresh.Agent(tenant));
        await contact.ReceiveAsync(stop);
        var afterRedelivery = await chat.SendAsync(new OutgoingMessage { Text = "still welcome", Transport = Transport.Sms }, Fresh.Agent(tenant));

        Assert.Equal(Outcome.Conflict, blocked.Outcome);
        Assert.True(allowed.IsOk);
        Assert.True(afterRedelivery.IsOk, "a redelivered STOP changes no consent");
        var consent = (await Grains.GetGrain<IClientGrain>(Ids.Key(tenant, client.Id)).GetAsync())!.Consent[Transport.Sms];
        Assert.Equal((true, "keyword"), (consent.OptedIn, consent.Source));
    }

    [Fact]
    public async Task AnExternalSubscriberSeesTheEventsOfItsTenantOnly()
    {
        var (tenant, client, chat) = await ClientAsync();
        var (otherTenant, otherClient, otherChat) = await ClientAsync();
        var received = new System.Collections.Concurrent.ConcurrentQueue<CrmEvent>();
        var stream = fixture.Cluster.Client.GetStreamProvider(StreamNames.Provider).GetStream<CrmEvent>(StreamId.Create(StreamNames.Events, tenant));
        var subscription = await stream.SubscribeAsync((e, _) => { received.Enqueue(e); return Task.CompletedTask; });

        await otherChat.ReceiveAsync(Fresh.Inbound(otherTenant, "not for you").From(otherClient));
        await chat.ReceiveAsync(Fresh.Inbound(tenant, "hello events").From(client));
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(received.Any(e => e.Type == EventTypes.MessageReceived)), "the event arrives");
        await subscription.UnsubscribeAsync();

        Assert.All(received, e => Assert.Equal(tenant, e.TenantId));
        Assert.Equal("hello events", received.First(e => e.Type == EventTypes.MessageReceived).Message!.Text);
    }

    [Fact]
    public async Task APhoneCallIsLoggedNotSent()
    {
        var (tenant, _, chat) = await ClientAsync();

        var logged = await chat.LogAsync(new LoggedMessage { Transport = Transport.Phone, Direction = MessageDirection.Outbound, Text = "Called about the invoice" }, Fresh.Agent(tenant));
        var refused = await chat.LogAsync(new LoggedMessage { Transport = Transport.Sms, Text = "x" }, Fresh.Agent(tenant));
        await Task.Delay(300);

        Assert.Equal((Transport.Phone, MessageStatus.Sent), (logged.Value!.Transport, logged.Value.Status));
        Assert.Contains("transport", refused.Errors!.Keys);
        Assert.Empty(fixture.Sender.For(tenant));
    }
}
