using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class ChatApiTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task OpeningAClientsChatCreatesItOnce()
    {
        var tenant = await Factory.CreateTenantAsync();
        var clientId = await tenant.Admin.CreateClientIdAsync();

        var first = await tenant.Admin.OpenChatAsync(clientId);
        var second = await tenant.Admin.OpenChatAsync(clientId);

        Assert.Equal(first.Str("id"), second.Str("id"));
        Assert.Equal(first.Str("createdAt"), second.Str("createdAt"));
        Assert.Equal(clientId, first.Str("clientId"));
        Assert.Equal(0, first.GetProperty("unreadCount").GetInt64());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("lastMessage").ValueKind);
        var member = Assert.Single(second.GetProperty("members").EnumerateArray());
        Assert.Equal("client", member.Str("kind"));
        Assert.Equal([first.Str("id")], (await tenant.Admin.WalkAsync("/api/v1/chats?limit=200")).IdsOf());
    }

    [Fact]
    public async Task OpeningTheChatOfAnUnknownOrDeletedClientIs404AndCreatesNoChat()
    {
        var tenant = await Factory.CreateTenantAsync();
        var deleted = await tenant.Admin.CreateClientIdAsync();
        await tenant.Admin.DeleteAsync($"/api/v1/clients/{deleted}");

        var unknown = await tenant.Admin.GetAsync("/api/v1/clients/cl_nobody/chat");
        var ofDeleted = await tenant.Admin.GetAsync($"/api/v1/clients/{deleted}/chat");

        await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        await ofDeleted.AssertProblemAsync(HttpStatusCode.NotFound);
        await tenant.Admin.PostAsync($"/api/v1/clients/{deleted}/restore", null);
        Assert.Empty(await tenant.Admin.WalkAsync("/api/v1/chats?limit=200"));
    }

    [Fact]
    public async Task GettingAChatShowsItsLastMessage()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        await tenant.Admin.SendOkAsync(chatId, "first");
        var sent = await tenant.Admin.SendOkAsync(chatId, "second");

        var chat = await tenant.Admin.GetOkAsync($"/api/v1/chats/{chatId}");

        Assert.Equal(chatId, chat.Str("id"));
        var last = chat.GetProperty("lastMessage");
        Assert.Equal(2, last.GetProperty("seq").GetInt64());
        Assert.Equal("second", last.Str("text"));
        Assert.Equal("outbound", last.Str("direction"));
        Assert.Equal("sms", last.Str("transport"));
        Assert.Equal(sent.Str("createdAt"), last.Str("createdAt"));
        Assert.Equal(sent.Str("createdAt"), chat.Str("lastMessageAt"));
    }

    [Fact]
    public async Task AChatIsNamedAfterItsClientAloneAndInTheList()
    {
        var tenant = await Factory.CreateTenantAsync();
        var client = await tenant.Admin.CreateClientAsync(new { firstName = "Grace", lastName = "Hopper", contacts = new[] { new { type = "phone", value = "+14155550999" } } });
        var chatId = await tenant.Admin.ChatIdAsync(client.Str("id"));
        await tenant.Admin.SendOkAsync(chatId, "hello");

        var alone = await tenant.Admin.GetOkAsync($"/api/v1/chats/{chatId}");
        var listed = (await tenant.Admin.GetOkAsync("/api/v1/chats")).GetProperty("items")[0];

        Assert.Equal(("Grace Hopper", "Grace Hopper"), (alone.Str("clientName"), listed.Str("clientName")));
    }

    [Fact]
    public async Task TheChatListFiltersByTheTransportOfTheLastMessage()
    {
        var tenant = await Factory.CreateTenantAsync();
        var bySms = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync("Sam", "+14155550931"));
        var byEmail = await tenant.Admin.ChatIdAsync((await tenant.Admin.CreateClientAsync(new
        {
            firstName = "Eve", contacts = new[] { new { type = "email", value = "eve@example.com" } },
        })).Str("id"));
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{bySms}/messages", new { text = "by text", transport = "sms" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{byEmail}/messages", new { text = "by mail", transport = "email" })).StatusCode);

        var email = await tenant.Admin.WalkAsync("/api/v1/chats?transport=email&limit=1");
        var sms = await tenant.Admin.WalkAsync("/api/v1/chats?transport=sms");
        var telegram = await tenant.Admin.WalkAsync("/api/v1/chats?transport=telegram");
        var bad = await tenant.Admin.GetAsync("/api/v1/chats?transport=fax");

        Assert.Equal([byEmail], email.IdsOf());
        Assert.Equal([bySms], sms.IdsOf());
        Assert.Empty(telegram);
        await bad.AssertInvalidAsync("transport");
    }

    [Fact]
    public async Task GettingAnUnknownChatIs404()
    {
        var tenant = await Factory.CreateTenantAsync();
        var clientId = await tenant.Admin.CreateClientIdAsync();
        var notOpened = "ch_" + clientId[3..];

        var response = await tenant.Admin.GetAsync($"/api/v1/chats/{notOpened}");
        var malformed = await tenant.Admin.GetAsync("/api/v1/chats/nonsense");

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        await malformed.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ChatListShowsNewestLastMessageFirst()
    {
        var tenant = await Factory.CreateTenantAsync();
        var a = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync("A", "+14155550101"));
        var b = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync("B", "+14155550102"));
        var c = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync("C", "+14155550103"));
        await tenant.Admin.SendOkAsync(a, "to a");
        await tenant.Admin.SendOkAsync(c, "to c");
        await tenant.Admin.SendOkAsync(b, "to b");

        var chats = (await tenant.Admin.GetOkAsync("/api/v1/chats")).Items();

        Assert.Equal([b, c, a], chats.IdsOf());
        Assert.Equal(["to b", "to c", "to a"], chats.Select(x => x.GetProperty("lastMessage").Str("text")));
    }

    [Fact]
    public async Task ChatListPagesWithCursorWithoutDuplicatesOrGaps()
    {
        var tenant = await Factory.CreateTenantAsync();
        var newestFirst = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync($"C{i}", $"+1415555011{i}"));
            await tenant.Admin.SendOkAsync(chatId, $"hello {i}");
            newestFirst.Insert(0, chatId);
        }

        var first = await tenant.Admin.GetOkAsync("/api/v1/chats?limit=2");
        var all = await tenant.Admin.WalkAsync("/api/v1/chats?limit=2");

        Assert.Equal(2, first.Items().Count);
        Assert.Equal(newestFirst, all.IdsOf());
    }

    [Fact]
    public async Task ChatListDoesNotShowOtherTenantsChats()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var mine = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        await other.Admin.ChatIdAsync(await other.Admin.CreateClientIdAsync());

        var chats = await tenant.Admin.WalkAsync("/api/v1/chats?limit=200");

        Assert.Equal([mine], chats.IdsOf());
    }

    [Fact]
    public async Task SendingQueuesTheMessageWithIncreasingSeq()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var response = await tenant.Admin.SendAsync(chatId, new { text = "one" });
        var two = await tenant.Admin.SendOkAsync(chatId, "two");
        var three = await tenant.Admin.SendOkAsync(chatId, "three");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var one = await response.BodyAsync();
        Assert.Equal("queued", one.Str("status"));
        Assert.Equal("outbound", one.Str("direction"));
        Assert.Equal("sms", one.Str("transport"));
        Assert.Equal("user", one.GetProperty("sender").Str("type"));
        Assert.Equal(chatId, one.Str("chatId"));
        Assert.Equal([1L, 2L, 3L], new[] { one, two, three }.Select(m => m.GetProperty("seq").GetInt64()));
        var stored = await tenant.Admin.MessagesAsync(chatId);
        Assert.Equal(["one", "two", "three"], stored.Select(m => m.Str("text")));
        Assert.Equal(new[] { one, two, three }.IdsOf(), stored.IdsOf());
    }

    [Fact]
    public async Task ConcurrentSendsGetDistinctConsecutiveSeqs()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var sent = await Task.WhenAll(Enumerable.Range(1, 10).Select(i => tenant.Admin.SendOkAsync(chatId, $"message {i}")));

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), sent.Select(m => m.GetProperty("seq").GetInt64()).Order());
        var stored = await tenant.Admin.MessagesAsync(chatId);
        Assert.Equal(sent.IdsOf().Order(), stored.IdsOf().Order());
        Assert.Equal(10, (await tenant.Admin.GetOkAsync($"/api/v1/chats/{chatId}")).GetProperty("lastMessage").GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task ConcurrentRepeatsOfOneIdempotencyKeyStoreOneMessage()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var sent = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => tenant.Admin.SendOkAsync(chatId, "once", "same-key")));

        Assert.Single(sent.IdsOf().Distinct());
        Assert.Single(await tenant.Admin.MessagesAsync(chatId));
    }

    [Fact]
    public async Task SendingAddsTheSenderAsAChatMember()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        await tenant.Admin.SendOkAsync(chatId, "hello");

        var members = (await tenant.Admin.GetOkAsync($"/api/v1/chats/{chatId}")).GetProperty("members").EnumerateArray().ToList();
        Assert.Contains(members, m => m.Str("kind") == "user" && m.Str("userId") == tenant.AdminUserId);
    }

    [Fact]
    public async Task SendingOnTheGivenTransportOverridesTheDefault()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var sent = await (await tenant.Admin.SendAsync(chatId, new { text = "hi", transport = "whatsapp" })).BodyAsync();

        Assert.Equal("whatsapp", sent.Str("transport"));
        Assert.Equal("whatsapp", (await tenant.Admin.MessagesAsync(chatId))[0].Str("transport"));
    }

    [Fact]
    public async Task SendingToAClientWithoutAnyContactNeedsATransport()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync(phone: null));

        var response = await tenant.Admin.SendAsync(chatId, new { text = "hi" });

        await response.AssertInvalidAsync("transport");
        Assert.Empty(await tenant.Admin.MessagesAsync(chatId));
    }

    [Fact]
    public async Task MessagesArePagedBySeqWithBeforeAfterAndLimit()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        for (var i = 1; i <= 5; i++)
            await tenant.Admin.SendOkAsync(chatId, $"m{i}");
        var url = $"/api/v1/chats/{chatId}/messages";

        var first = await tenant.Admin.GetOkAsync($"{url}?limit=2");
        var next = await tenant.Admin.GetOkAsync($"{url}?after={first.Str("nextCursor")}&limit=2");
        var last = await tenant.Admin.GetOkAsync($"{url}?after={next.Str("nextCursor")}&limit=2");
        var older = await tenant.Admin.GetOkAsync($"{url}?before=5&limit=2");
        var oldest = await tenant.Admin.GetOkAsync($"{url}?before=3");
        var between = await tenant.Admin.GetOkAsync($"{url}?after=1&before=4");

        Assert.Equal([1L, 2L], Seqs(first));
        Assert.Equal([3L, 4L], Seqs(next));
        Assert.Equal([5L], Seqs(last));
        Assert.Equal(JsonValueKind.Null, last.GetProperty("nextCursor").ValueKind);
        Assert.Equal([3L, 4L], Seqs(older));
        Assert.Equal("3", older.Str("nextCursor"));
        Assert.Equal([1L, 2L], Seqs(oldest));
        Assert.Equal(JsonValueKind.Null, oldest.GetProperty("nextCursor").ValueKind);
        Assert.Equal([2L, 3L], Seqs(between));
    }

    [Fact]
    public async Task ARepeatedIdempotencyKeyReturnsTheFirstMessageAndStoresNothingNew()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var first = await tenant.Admin.SendOkAsync(chatId, "pay your invoice", "key-1");
        var repeat = await tenant.Admin.SendAsync(chatId, new { text = "pay your invoice" }, "key-1");

        Assert.Equal(HttpStatusCode.Accepted, repeat.StatusCode);
        var again = await repeat.BodyAsync();
        Assert.Equal(first.Str("id"), again.Str("id"));
        Assert.Equal(first.GetProperty("seq").GetInt64(), again.GetProperty("seq").GetInt64());
        Assert.Single(await tenant.Admin.MessagesAsync(chatId));
        Assert.Equal(1, (await tenant.Admin.GetOkAsync($"/api/v1/chats/{chatId}")).GetProperty("lastMessage").GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task DifferentIdempotencyKeysSendDifferentMessages()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var first = await tenant.Admin.SendOkAsync(chatId, "hello", "key-1");
        var second = await tenant.Admin.SendOkAsync(chatId, "hello", "key-2");

        Assert.NotEqual(first.Str("id"), second.Str("id"));
        Assert.Equal(2, (await tenant.Admin.MessagesAsync(chatId)).Count);
    }

    [Fact]
    public async Task SendingWithATemplateUsesTheTemplateText()
    {
        var tenant = await Factory.CreateTenantAsync();
        var templateId = (await (await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Welcome to Acme!" })).BodyAsync()).Str("id");
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var response = await tenant.Admin.SendAsync(chatId, new { templateId });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("Welcome to Acme!", (await response.BodyAsync()).Str("text"));
        var stored = Assert.Single(await tenant.Admin.MessagesAsync(chatId));
        Assert.Equal("Welcome to Acme!", stored.Str("text"));
        Assert.Equal(templateId, stored.Str("templateId"));
    }

    [Fact]
    public async Task SendingWithAnUnknownTemplateIsRejectedAndStoresNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var theirs = (await (await other.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Hi" })).BodyAsync()).Str("id");
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var unknown = await tenant.Admin.SendAsync(chatId, new { templateId = "tp_nothere" });
        var otherTenants = await tenant.Admin.SendAsync(chatId, new { templateId = theirs });

        await unknown.AssertInvalidAsync("templateId");
        await otherTenants.AssertInvalidAsync("templateId");
        Assert.Empty(await tenant.Admin.MessagesAsync(chatId));
    }

    [Fact]
    public async Task SendingOnAnOptedOutTransportIsAConflictAndStoresNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var clientId = await tenant.Admin.CreateClientIdAsync();
        var chatId = await tenant.Admin.ChatIdAsync(clientId);
        await tenant.Admin.PutAsJsonAsync($"/api/v1/clients/{clientId}/consent/sms", new { optedIn = false });

        var byDefault = await tenant.Admin.SendAsync(chatId, new { text = "promo" });
        var explicitly = await tenant.Admin.SendAsync(chatId, new { text = "promo", transport = "sms" }, "promo-1");
        var elsewhere = await tenant.Admin.SendAsync(chatId, new { text = "hello", transport = "whatsapp" });

        await byDefault.AssertProblemAsync(HttpStatusCode.Conflict);
        await explicitly.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.Accepted, elsewhere.StatusCode);
        var stored = Assert.Single(await tenant.Admin.MessagesAsync(chatId));
        Assert.Equal("whatsapp", stored.Str("transport"));
    }

    [Fact]
    public async Task SendingToADeletedClientIs404AndStoresNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var clientId = await tenant.Admin.CreateClientIdAsync();
        var chatId = await tenant.Admin.ChatIdAsync(clientId);
        await tenant.Admin.DeleteAsync($"/api/v1/clients/{clientId}");

        var response = await tenant.Admin.SendAsync(chatId, new { text = "hello?" });

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        await tenant.Admin.PostAsync($"/api/v1/clients/{clientId}/restore", null);
        Assert.Empty(await tenant.Admin.MessagesAsync(chatId));
    }

    [Fact]
    public async Task MarkingReadAnswersTheCallersChatWithNothingUnread()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        await tenant.Admin.SendOkAsync(chatId, "one");
        await tenant.Admin.SendOkAsync(chatId, "two");

        var response = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/read", new { upToSeq = 2 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var chat = await response.BodyAsync();
        Assert.Equal(chatId, chat.Str("id"));
        Assert.Equal(0, chat.GetProperty("unreadCount").GetInt64());
        Assert.Equal(2, chat.GetProperty("lastMessage").GetProperty("seq").GetInt64());
        Assert.Empty(await tenant.Admin.WalkAsync("/api/v1/chats?unread=true&limit=200"));
    }

    [Fact]
    public async Task MarkingReadWithoutASeqIsRejected()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var missing = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/read", new { });
        var negative = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/read", new { upToSeq = -1 });

        await missing.AssertInvalidAsync("upToSeq");
        await negative.AssertInvalidAsync("upToSeq");
    }

    [Fact]
    public async Task MarkingAnUnopenedChatReadIs404()
    {
        var tenant = await Factory.CreateTenantAsync();
        var clientId = await tenant.Admin.CreateClientIdAsync();

        var response = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/ch_{clientId[3..]}/read", new { upToSeq = 1 });

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AddingTheSameUserMemberTwiceKeepsOneMember()
    {
        var tenant = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(tenant, "agent");
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var first = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user", userId = agent.Id });
        var second = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user", userId = agent.Id });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var members = (await tenant.Admin.GetOkAsync($"/api/v1/chats/{chatId}")).GetProperty("members").EnumerateArray().ToList();
        var added = Assert.Single(members, m => m.Str("kind") == "user");
        Assert.Equal(agent.Id, added.Str("userId"));
        Assert.Equal(2, members.Count);
        Assert.Equal((await first.BodyAsync()).GetProperty("members").GetRawText(), (await second.BodyAsync()).GetProperty("members").GetRawText());
    }

    [Fact]
    public async Task AddingAnUnknownUserAsMemberIsRejectedAndChangesNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var stranger = await Factory.CreateUserAsync(other, "agent");
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var before = await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}");

        var unknown = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user", userId = "us_nobody" });
        var otherTenants = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user", userId = stranger.Id });
        var noId = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user" });
        var badKind = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "robot", userId = stranger.Id });

        await unknown.AssertInvalidAsync("userId");
        await otherTenants.AssertInvalidAsync("userId");
        await noId.AssertInvalidAsync("userId");
        await badKind.AssertInvalidAsync("kind");
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}"));
    }

    [Fact]
    public async Task ADeletedClientsChatCannotBeReadOrChanged()
    {
        var tenant = await Factory.CreateTenantAsync();
        var clientId = await tenant.Admin.CreateClientIdAsync();
        var chatId = await tenant.Admin.ChatIdAsync(clientId);
        await tenant.Admin.SendOkAsync(chatId, "before deletion");
        await tenant.Admin.DeleteAsync($"/api/v1/clients/{clientId}");

        var messages = await tenant.Admin.GetAsync($"/api/v1/chats/{chatId}/messages");
        var read = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/read", new { upToSeq = 1 });
        var member = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user", userId = tenant.AdminUserId });

        await messages.AssertProblemAsync(HttpStatusCode.NotFound);
        await read.AssertProblemAsync(HttpStatusCode.NotFound);
        await member.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task ADeactivatedUserCannotBecomeAMember()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var gone = await Factory.CreateUserAsync(tenant, "agent");
        await tenant.Admin.DeleteAsync($"/api/v1/users/{gone.Id}");

        var response = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user", userId = gone.Id });

        await response.AssertInvalidAsync("userId");
    }

    private static long[] Seqs(JsonElement page) => [.. page.Items().Select(m => m.GetProperty("seq").GetInt64())];
}
