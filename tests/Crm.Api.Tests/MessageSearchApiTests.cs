using System.Net;
using System.Text.Json;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class MessageSearchApiTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task SearchFindsSentMessagesByTheirWords()
    {
        var tenant = await Factory.CreateTenantAsync();
        var ann = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync("Ann", "+14155550101"));
        var bob = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync("Bob", "+14155550102"));
        var invoice = await tenant.Admin.SendOkAsync(ann, "Your invoice is ready");
        await tenant.Admin.SendOkAsync(ann, "Thanks for calling");
        var reminder = await tenant.Admin.SendOkAsync(bob, "Reminder: the invoice is overdue");

        var oneWord = await tenant.Admin.WalkAsync("/api/v1/messages/search?query=invoice&limit=200");
        var twoWords = await tenant.Admin.WalkAsync("/api/v1/messages/search?query=invoice%20overdue&limit=200");
        var none = await tenant.Admin.WalkAsync("/api/v1/messages/search?query=refund&limit=200");

        Assert.Equal(new[] { reminder, invoice }.IdsOf(), oneWord.IdsOf());
        Assert.Equal([bob, ann], oneWord.Select(m => m.Str("chatId")));
        Assert.Equal(new[] { reminder }.IdsOf(), twoWords.IdsOf());
        Assert.Empty(none);
    }

    [Fact]
    public async Task SearchDoesNotFindOtherTenantsMessages()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var mine = await tenant.Admin.SendOkAsync(await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync()), "secret pineapple plan");
        await other.Admin.SendOkAsync(await other.Admin.ChatIdAsync(await other.Admin.CreateClientIdAsync()), "another pineapple plan");

        var found = await tenant.Admin.WalkAsync("/api/v1/messages/search?query=pineapple&limit=200");

        Assert.Equal(new[] { mine }.IdsOf(), found.IdsOf());
    }

    [Fact]
    public async Task SearchPagesWithCursorWithoutDuplicatesOrGaps()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var newestFirst = new List<string>();
        for (var i = 0; i < 5; i++)
            newestFirst.Insert(0, (await tenant.Admin.SendOkAsync(chatId, $"order number {i} shipped")).Str("id"));
        await tenant.Admin.SendOkAsync(chatId, "unrelated");

        var first = await tenant.Admin.GetOkAsync("/api/v1/messages/search?query=shipped&limit=2");
        var all = await tenant.Admin.WalkAsync("/api/v1/messages/search?query=shipped&limit=2");

        Assert.Equal(2, first.Items().Count);
        Assert.NotEqual(JsonValueKind.Null, first.GetProperty("nextCursor").ValueKind);
        Assert.Equal(newestFirst, all.IdsOf());
    }

    [Fact]
    public async Task SearchLeavesOutADeletedClientsMessagesUntilTheClientIsRestored()
    {
        var tenant = await Factory.CreateTenantAsync();
        var ann = await tenant.Admin.CreateClientIdAsync("Ann", "+14155550101");
        var bob = await tenant.Admin.CreateClientIdAsync("Bob", "+14155550102");
        var annsMessage = await tenant.Admin.SendOkAsync(await tenant.Admin.ChatIdAsync(ann), "the walnut contract");
        var bobsMessage = await tenant.Admin.SendOkAsync(await tenant.Admin.ChatIdAsync(bob), "another walnut contract");
        const string url = "/api/v1/messages/search?query=walnut&limit=200";

        var beforeDelete = await tenant.Admin.WalkAsync(url);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Admin.DeleteAsync($"/api/v1/clients/{ann}")).StatusCode);
        var whileDeleted = await tenant.Admin.WalkAsync(url);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Admin.PostAsync($"/api/v1/clients/{ann}/restore", null)).StatusCode);
        var afterRestore = await tenant.Admin.WalkAsync(url);

        Assert.Equal(new[] { bobsMessage, annsMessage }.IdsOf(), beforeDelete.IdsOf());
        Assert.Equal(new[] { bobsMessage }.IdsOf(), whileDeleted.IdsOf());
        Assert.Equal(new[] { bobsMessage, annsMessage }.IdsOf(), afterRestore.IdsOf());
    }

    [Theory]
    [InlineData("/api/v1/messages/search")]
    [InlineData("/api/v1/messages/search?query=%20%20")]
    public async Task SearchWithoutWordsIsRejected(string url)
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.GetAsync(url);

        await response.AssertInvalidAsync("query");
    }

    [Fact]
    public async Task SearchNeedsAKey()
    {
        using var anonymous = Factory.ClientWithKey(null);

        var response = await anonymous.GetAsync("/api/v1/messages/search?query=invoice");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
