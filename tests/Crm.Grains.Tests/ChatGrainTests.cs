namespace Crm.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ChatGrainTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    private async Task<(string Tenant, ClientProfile Client, IChatGrain Chat)> ClientWithChatAsync(params ContactDraft[] contacts)
    {
        var tenant = Fresh.Tenant();
        var (_, client) = await Fresh.ClientAsync(Grains, tenant, "Chatty",
            contacts.Length > 0 ? contacts : [new ContactDraft { Type = ContactType.Phone, Value = "+1415555" + Random.Shared.Next(1000, 9999) }]);
        return (tenant, client, Grains.GetGrain<IChatGrain>(Ids.Key(tenant, client.Id)));
    }

    [Fact]
    public async Task OpeningCreatesTheChatOnceWithTheClientAsFirstMember()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();

        var first = (await chat.OpenAsync(Fresh.Agent(tenant))).Value!;
        await fixture.Cluster.DeactivateAsync(chat);
        var second = (await chat.OpenAsync(Fresh.Agent(tenant))).Value!;

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.CreatedAt, second.CreatedAt);
        var member = Assert.Single(second.Members);
        Assert.Equal((MemberKind.Client, client.Id), (member.Kind, member.ClientId));
    }

    [Fact]
    public async Task AChatCannotBeOpenedForAClientThatDoesNotExist()
    {
        var tenant = Fresh.Tenant();
        var chat = Grains.GetGrain<IChatGrain>(Ids.Key(tenant, Ids.New("cl")));

        var result = await chat.OpenAsync(Fresh.Agent(tenant));

        Assert.Equal(Outcome.NotFound, result.Outcome);
    }

    [Fact]
    public async Task TheFirstMessageCreatesTheChat()
    {
        var (tenant, _, chat) = await ClientWithChatAsync();

        var sent = await chat.SendAsync(new OutgoingMessage { Text = "hi" }, Fresh.Agent(tenant));
        var view = await chat.GetAsync(Fresh.Agent(tenant));

        Assert.Equal((1L, MessageStatus.Queued), (sent.Value!.Seq, sent.Value.Status));
        Assert.Equal(sent.Value.CreatedAt, view.Value!.LastMessageAt);
    }

    [Fact]
    public async Task ConcurrentSendsGetDistinctSeqsInOrder()
    {
        var (tenant, _, chat) = await ClientWithChatAsync();
        var agent = Fresh.Agent(tenant);

        var sent = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => chat.SendAsync(new OutgoingMessage { Text = $"m{i}" }, agent)));
        var stored = (await chat.GetMessagesAsync(null, null, 200)).Value!.Items;

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), sent.Select(s => s.Value!.Seq).Order());
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), stored.Select(m => m.Seq));
        Assert.True(stored.Zip(stored.Skip(1)).All(p => p.First.CreatedAt <= p.Second.CreatedAt));
    }

    [Fact]
    public async Task ARepeatedIdempotencyKeyReturnsTheFirstMessageAndStoresNothingNew()
    {
        var (tenant, _, chat) = await ClientWithChatAsync();
        var agent = Fresh.Agent(tenant);

        var first = await chat.SendAsync(new OutgoingMessage { Text = "once", IdempotencyKey = "key-1" }, agent);
        await fixture.Cluster.DeactivateAsync(chat);
        var again = await chat.SendAsync(new OutgoingMessage { Text = "once", IdempotencyKey = "key-1" }, agent);

        Assert.Equal(first.Value!.Id, again.Value!.Id);
        Assert.Single((await chat.GetMessagesAsync(null, null, 50)).Value!.Items);
    }

    /// <summary>A repeat older than the keys the chat remembers: the unique indexes catch it and nothing of the change is written.</summary>
    [Fact]
    public async Task TheDatabaseStillDeduplicatesWhenTheGrainHasForgottenTheKey()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();
        var agent = Fresh.Agent(tenant);
        var first = await chat.SendAsync(new OutgoingMessage { Text = "once", IdempotencyKey = "key-db" }, agent);
        var redelivered = Fresh.Inbound(tenant, "hello", "SM-old").From(client);
        var received = await chat.ReceiveAsync(redelivered);
        for (var i = 0; i < ChatRules.RecentKeysKept; i++)
            await chat.ReceiveAsync(Fresh.Inbound(tenant, $"later {i}").From(client));

        var again = await chat.SendAsync(new OutgoingMessage { Text = "once", IdempotencyKey = "key-db" }, agent);
        var receivedAgain = await chat.ReceiveAsync(redelivered);
        var next = await chat.ReceiveAsync(Fresh.Inbound(tenant, "newest").From(client));

        Assert.Equal(first.Value!.Id, again.Value!.Id);
        Assert.Equal(received.Value!.Message.Id, receivedAgain.Value!.Message.Id);
        Assert.Equal(ChatRules.RecentKeysKept + 3, next.Value!.Message.Seq);
        Assert.Equal(ChatRules.RecentKeysKept + 3, await fixture.CountAsync("select count(*) from messages where tenant_id = $1", tenant));
        Assert.Equal(2, await fixture.CountAsync("select count(*) from audit_events where tenant_id = $1 and action in ('message.queued', 'chat.created') ", tenant));
        Assert.Equal(ChatRules.RecentKeysKept + 2, (await chat.GetAsync(Fresh.Agent(tenant))).Value!.UnreadCount);
    }

    [Fact]
    public async Task AProviderRedeliveryIsStoredOnce()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();
        var inbound = Fresh.Inbound(tenant, "hello", "SM-redelivered").From(client);

        var results = await Task.WhenAll(chat.ReceiveAsync(inbound), chat.ReceiveAsync(inbound), chat.ReceiveAsync(inbound));

        Assert.Single(results.Select(r => r.Value!.Message.Id).Distinct());
        Assert.Single(results, r => r.Value!.Stored);
        Assert.Equal(1, await fixture.CountAsync("select count(*) from messages where tenant_id = $1", tenant));
        Assert.Equal(1, (await chat.GetAsync(Fresh.Agent(tenant))).Value!.UnreadCount);
    }

    [Fact]
    public async Task UnreadCountsArePerUserAndSurviveDeactivation()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();
        var ann = Fresh.Agent(tenant);
        var bob = Fresh.Agent(tenant);
        foreach (var text in new[] { "one", "two", "three" })
            await chat.ReceiveAsync(Fresh.Inbound(tenant, text).From(client));
        await chat.SendAsync(new OutgoingMessage { Text = "our reply" }, ann);

        await chat.MarkReadAsync(2, ann);
        await fixture.Cluster.DeactivateAsync(chat);

        Assert.Equal(1, (await chat.GetAsync(ann)).Value!.UnreadCount);
        Assert.Equal(3, (await chat.GetAsync(bob)).Value!.UnreadCount);
        var list = await Grains.GetGrain<ITenantQueryGrain>(tenant).ListChatsAsync(ann.UserId, unreadOnly: false, null, 10, null);
        Assert.Equal(1, Assert.Single(list.Items).UnreadCount);
    }

    [Fact]
    public async Task MarkingReadSetsReadAtOnTheReadMessagesOnly()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();
        var ann = Fresh.Agent(tenant);
        for (var i = 0; i < 3; i++)
            await chat.ReceiveAsync(Fresh.Inbound(tenant, $"msg {i}").From(client));

        await chat.MarkReadAsync(2, ann);
        var messages = (await chat.GetMessagesAsync(null, null, 10)).Value!.Items;

        Assert.NotNull(messages[0].ReadAt);
        Assert.NotNull(messages[1].ReadAt);
        Assert.Null(messages[2].ReadAt);
    }

    [Fact]
    public async Task AReadHorizonNeverMovesBack()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();
        var ann = Fresh.Agent(tenant);
        for (var i = 0; i < 3; i++)
            await chat.ReceiveAsync(Fresh.Inbound(tenant, $"msg {i}").From(client));

        await chat.MarkReadAsync(3, ann);
        var afterBackwards = await chat.MarkReadAsync(1, ann);

        Assert.Equal(0, afterBackwards.Value!.UnreadCount);
    }

    [Fact]
    public async Task UnreadOnlyListsChatsWithUnreadMessagesForTheCaller()
    {
        var tenant = Fresh.Tenant();
        var ann = Fresh.Agent(tenant);
        var (_, quiet) = await Fresh.ClientAsync(Grains, tenant, "Quiet");
        var (_, loud) = await Fresh.ClientAsync(Grains, tenant, "Loud", new ContactDraft { Type = ContactType.Phone, Value = "+14155550123" });
        await Grains.GetGrain<IChatGrain>(Ids.Key(tenant, quiet.Id)).OpenAsync(ann);
        await Grains.GetGrain<IChatGrain>(Ids.Key(tenant, loud.Id)).ReceiveAsync(Fresh.Inbound(tenant, "hello?").From(loud));

        var unread = await Grains.GetGrain<ITenantQueryGrain>(tenant).ListChatsAsync(ann.UserId, unreadOnly: true, null, 10, null);
        var all = await Grains.GetGrain<ITenantQueryGrain>(tenant).ListChatsAsync(ann.UserId, unreadOnly: false, null, 10, null);

        Assert.Equal("Loud", Assert.Single(unread.Items).ClientName);
        Assert.Equal(["Loud", "Quiet"], all.Items.Select(c => c.ClientName));
    }

    [Fact]
    public async Task SendingOnAnOptedOutChannelIsRefusedAndStoresNothing()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();
        await Grains.GetGrain<IClientGrain>(Ids.Key(tenant, client.Id)).SetConsentAsync(Transport.Sms, false, "api", Fresh.Agent(tenant));

        var result = await chat.SendAsync(new OutgoingMessage { Text = "promo" }, Fresh.Agent(tenant));

        Assert.Equal(Outcome.Conflict, result.Outcome);
        Assert.Equal(0, await fixture.CountAsync("select count(*) from messages where tenant_id = $1", tenant));
    }

    [Fact]
    public async Task DeletingTheClientHidesItsChatAtOnceAndRestoringBringsItBack()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();
        var agent = Fresh.Agent(tenant);
        var grain = Grains.GetGrain<IClientGrain>(Ids.Key(tenant, client.Id));
        await chat.SendAsync(new OutgoingMessage { Text = "before" }, agent);

        await grain.DeleteAsync(agent);
        var whileDeleted = (await chat.GetAsync(agent), await chat.GetMessagesAsync(null, null, 10), await chat.MarkReadAsync(1, agent));
        var sendWhileDeleted = await chat.SendAsync(new OutgoingMessage { Text = "while deleted" }, agent);
        await grain.RestoreAsync(agent);
        var restored = await chat.GetAsync(agent);
        var sendRestored = await chat.SendAsync(new OutgoingMessage { Text = "after" }, agent);

        Assert.Equal((Outcome.NotFound, Outcome.NotFound, Outcome.NotFound), (whileDeleted.Item1.Outcome, whileDeleted.Item2.Outcome, whileDeleted.Item3.Outcome));
        Assert.Equal(Outcome.NotFound, sendWhileDeleted.Outcome);
        Assert.True(restored.IsOk);
        Assert.Equal(2, sendRestored.Value!.Seq);
    }

    [Fact]
    public async Task AConsentChangeReachesAnActiveChatAtOnce()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();
        var agent = Fresh.Agent(tenant);
        var grain = Grains.GetGrain<IClientGrain>(Ids.Key(tenant, client.Id));
        var before = await chat.SendAsync(new OutgoingMessage { Text = "hello", Transport = Transport.Sms }, agent);

        await grain.SetConsentAsync(Transport.Sms, false, "api", agent);
        var optedOut = await chat.SendAsync(new OutgoingMessage { Text = "promo", Transport = Transport.Sms }, agent);
        await grain.SetConsentAsync(Transport.Sms, true, "api", agent);
        var optedIn = await chat.SendAsync(new OutgoingMessage { Text = "welcome back", Transport = Transport.Sms }, agent);

        Assert.True(before.IsOk);
        Assert.Equal(Outcome.Conflict, optedOut.Outcome);
        Assert.True(optedIn.IsOk);
    }

    [Fact]
    public async Task TheTransportDefaultsToTheOneTheClientLastWroteOn()
    {
        var (tenant, client, chat) = await ClientWithChatAsync();
        await chat.ReceiveAsync(Fresh.Inbound(tenant, "via telegram", transport: Transport.Telegram).From(client));

        var reply = await chat.SendAsync(new OutgoingMessage { Text = "reply" }, Fresh.Agent(tenant));
        var explicitEmail = await chat.SendAsync(new OutgoingMessage { Text = "mail", Transport = Transport.Email }, Fresh.Agent(tenant));

        Assert.Equal(Transport.Telegram, reply.Value!.Transport);
        Assert.Equal(Transport.Email, explicitEmail.Value!.Transport);
    }

    [Fact]
    public async Task ATemplateGivesTheTextOfTheMessage()
    {
        var (tenant, _, chat) = await ClientWithChatAsync();
        var template = (await Grains.GetGrain<ITemplatesGrain>(tenant).CreateAsync("greeting", "Hello from Acme!", Fresh.Agent(tenant))).Value!;

        var sent = await chat.SendAsync(new OutgoingMessage { TemplateId = template.Id }, Fresh.Agent(tenant));
        var unknown = await chat.SendAsync(new OutgoingMessage { TemplateId = "tp_missing" }, Fresh.Agent(tenant));

        Assert.Equal(("Hello from Acme!", template.Id), (sent.Value!.Text, sent.Value.TemplateId));
        Assert.Contains("templateId", unknown.Errors!.Keys);
    }

    [Fact]
    public async Task OversizeTextIsRefusedAndNothingIsStored()
    {
        var (tenant, _, chat) = await ClientWithChatAsync();

        var result = await chat.SendAsync(new OutgoingMessage { Text = new string('x', ChatRules.MaxTextLength + 1) }, Fresh.Agent(tenant));

        Assert.Contains("text", result.Errors!.Keys);
        Assert.Equal(0, await fixture.CountAsync("select count(*) from messages where tenant_id = $1", tenant));
    }

    [Fact]
    public async Task MembersAreUniquePerParticipant()
    {
        var (tenant, _, chat) = await ClientWithChatAsync();
        var admin = Fresh.Agent(tenant);
        var created = await Grains.GetGrain<ITenantGrain>(tenant).CreateAsync("Acme");
        var userId = created.Value!.Admin.User.Id;
        await chat.OpenAsync(admin);

        await chat.AddMemberAsync(new MemberDraft { Kind = MemberKind.User, UserId = userId }, admin);
        var twice = await chat.AddMemberAsync(new MemberDraft { Kind = MemberKind.User, UserId = userId }, admin);
        var stranger = await chat.AddMemberAsync(new MemberDraft { Kind = MemberKind.User, UserId = "us_nobody" }, admin);

        Assert.Single(twice.Value!.Members, m => m.UserId == userId);
        Assert.Equal(Outcome.Invalid, stranger.Outcome);
    }

    [Fact]
    public async Task MessagesPageBackwardsAndForwardsBySeq()
    {
        var (tenant, _, chat) = await ClientWithChatAsync();
        for (var i = 1; i <= 10; i++)
            await chat.SendAsync(new OutgoingMessage { Text = $"m{i}" }, Fresh.Agent(tenant));

        var newest = (await chat.GetMessagesAsync(before: 11, after: null, limit: 4)).Value!;
        var older = (await chat.GetMessagesAsync(before: long.Parse(newest.NextCursor!, System.Globalization.CultureInfo.InvariantCulture), after: null, limit: 4)).Value!;
        var forward = (await chat.GetMessagesAsync(before: null, after: 8, limit: 4)).Value!;

        Assert.Equal([7L, 8, 9, 10], newest.Items.Select(m => m.Seq));
        Assert.Equal([3L, 4, 5, 6], older.Items.Select(m => m.Seq));
        Assert.Equal([9L, 10], forward.Items.Select(m => m.Seq));
        Assert.Null(forward.NextCursor);
    }

    [Fact]
    public async Task MessageContentCannotBeChangedInTheDatabase()
    {
        var (tenant, _, chat) = await ClientWithChatAsync();
        await chat.SendAsync(new OutgoingMessage { Text = "original" }, Fresh.Agent(tenant));

        var attempt = await Record.ExceptionAsync(() => fixture.CountAsync("update messages set text = 'forged' where tenant_id = $1", tenant));

        Assert.NotNull(attempt);
        Assert.Equal("original", (await chat.GetMessagesAsync(null, null, 1)).Value!.Items[0].Text);
    }

    [Fact]
    public async Task FullTextSearchFindsMessagesOfTheTenantOnly()
    {
        var (tenant, _, chat) = await ClientWithChatAsync();
        var (otherTenant, _, otherChat) = await ClientWithChatAsync();
        await chat.SendAsync(new OutgoingMessage { Text = "Your parcel has shipped today" }, Fresh.Agent(tenant));
        await otherChat.SendAsync(new OutgoingMessage { Text = "parcel shipped elsewhere" }, Fresh.Agent(otherTenant));

        var hits = await Grains.GetGrain<ITenantQueryGrain>(tenant).SearchMessagesAsync("parcel shipped", 10, null);

        Assert.Equal("Your parcel has shipped today", Assert.Single(hits.Items).Text);
    }
}
