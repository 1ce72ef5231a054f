using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class ClientApiTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task CreatingStoresEveryFieldAndInlineContacts()
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/clients", new
        {
            firstName = "Ann",
            lastName = "Lee",
            middleName = "May",
            gender = "female",
            dateOfBirth = "1990-04-01",
            phone = "+14155550100",
            email = "ann@example.com",
            address = "1 Main St",
            passportNumber = "X123",
            taxPin = "T-9",
            comment = "VIP",
            contacts = new[] { new { type = "phone", value = "+14155550123" }, new { type = "other", value = "skype:ann" } },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.BodyAsync();
        Assert.Equal($"/api/v1/clients/{created.Str("id")}", response.Headers.Location?.OriginalString);
        var read = await tenant.Admin.GetOkAsync($"/api/v1/clients/{created.Str("id")}");
        Assert.Equal(created.GetRawText(), read.GetRawText());
        Assert.Equal("Ann", read.Str("firstName"));
        Assert.Equal("Lee", read.Str("lastName"));
        Assert.Equal("May", read.Str("middleName"));
        Assert.Equal("female", read.Str("gender"));
        Assert.Equal("1990-04-01", read.Str("dateOfBirth"));
        Assert.Equal("+14155550100", read.Str("phone"));
        Assert.Equal("ann@example.com", read.Str("email"));
        Assert.Equal("1 Main St", read.Str("address"));
        Assert.Equal("X123", read.Str("passportNumber"));
        Assert.Equal("T-9", read.Str("taxPin"));
        Assert.Equal("VIP", read.Str("comment"));
        Assert.Equal(JsonValueKind.Null, read.GetProperty("deletedAt").ValueKind);
        Assert.Equal(read.Str("createdAt"), read.Str("updatedAt"));
        var contacts = read.GetProperty("contacts").EnumerateArray().ToList();
        Assert.Equal(["phone:+14155550123", "other:skype:ann"], contacts.Select(c => $"{c.Str("type")}:{c.Str("value")}"));
        Assert.All(contacts, c => Assert.False(string.IsNullOrEmpty(c.Str("id"))));
    }

    [Theory]
    [InlineData("phone", "+1 415 555 0123", "+14155550123")]
    [InlineData("whatsapp", "+1 (415) 555-0123", "+14155550123")]
    [InlineData("email", "Ann.Lee@Example.COM", "ann.lee@example.com")]
    [InlineData("telegram", "@Ann_Handle", "ann_handle")]
    public async Task ContactValuesAreNormalised(string type, string given, string stored)
    {
        var tenant = await Factory.CreateTenantAsync();

        var created = await tenant.Admin.CreateClientAsync(new { firstName = "Ann", contacts = new[] { new { type, value = given } } });

        var read = await tenant.Admin.GetOkAsync($"/api/v1/clients/{created.Str("id")}");
        Assert.Equal(stored, read.GetProperty("contacts")[0].Str("value"));
    }

    [Fact]
    public async Task ProfilePhoneAndEmailAreNormalised()
    {
        var tenant = await Factory.CreateTenantAsync();

        var created = await tenant.Admin.CreateClientAsync(new { firstName = "Ann", phone = "+1 415 555 0123", email = "ANN@EXAMPLE.COM" });

        Assert.Equal("+14155550123", created.Str("phone"));
        Assert.Equal("ann@example.com", created.Str("email"));
    }

    [Fact]
    public async Task ReadingAnUnknownClientIs404()
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.GetAsync("/api/v1/clients/cl_doesnotexist");

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PatchChangesGivenFieldsClearsNullsAndLeavesTheRest()
    {
        var tenant = await Factory.CreateTenantAsync();
        var created = await tenant.Admin.CreateClientAsync(new
        {
            firstName = "Ann",
            lastName = "Lee",
            comment = "old",
            email = "ann@example.com",
            contacts = new[] { new { type = "phone", value = "+14155550123" } },
        });
        var id = created.Str("id");

        var response = await tenant.Admin.PatchJsonAsync($"/api/v1/clients/{id}", """{"lastName":"Park","comment":null,"address":"2 Side St"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = await tenant.Admin.GetOkAsync($"/api/v1/clients/{id}");
        Assert.Equal("Park", read.Str("lastName"));
        Assert.Equal("2 Side St", read.Str("address"));
        Assert.Equal(JsonValueKind.Null, read.GetProperty("comment").ValueKind);
        Assert.Equal("Ann", read.Str("firstName"));
        Assert.Equal("ann@example.com", read.Str("email"));
        Assert.Equal(created.GetProperty("contacts").GetRawText(), read.GetProperty("contacts").GetRawText());
        Assert.Equal(created.Str("createdAt"), read.Str("createdAt"));
        Assert.True(read.GetProperty("updatedAt").GetDateTimeOffset() > created.GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("""{"firstName":""}""")]
    [InlineData("""{"firstName":"   "}""")]
    [InlineData("""{"firstName":null}""")]
    [InlineData("""{"firstName":null,"lastName":"Park"}""")]
    public async Task PatchCannotEmptyTheFirstNameAndChangesNothing(string patch)
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = (await tenant.Admin.CreateClientAsync(new { firstName = "Ann", lastName = "Lee" })).Str("id");
        var before = await tenant.Admin.RawAsync($"/api/v1/clients/{id}");

        var response = await tenant.Admin.PatchJsonAsync($"/api/v1/clients/{id}", patch);

        await response.AssertInvalidAsync("firstName");
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/clients/{id}"));
    }

    [Fact]
    public async Task PatchOfContactsIsRejectedAndChangesNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync();
        var before = await tenant.Admin.RawAsync($"/api/v1/clients/{id}");

        var response = await tenant.Admin.PatchJsonAsync($"/api/v1/clients/{id}", """{"contacts":[],"lastName":"Lee"}""");

        await response.AssertInvalidAsync("contacts");
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/clients/{id}"));
    }

    [Fact]
    public async Task SoftDeleteSetsDeletedAtAndHidesTheClientFromSearchLookupAndChatList()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync("Ann", "+14155550123");
        var keep = await tenant.Admin.CreateClientIdAsync("Ann", "+14155550124");
        var chatId = await tenant.Admin.ChatIdAsync(id);
        await tenant.Admin.ChatIdAsync(keep);

        var response = await tenant.Admin.DeleteAsync($"/api/v1/clients/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = await tenant.Admin.GetOkAsync($"/api/v1/clients/{id}");
        Assert.Equal(JsonValueKind.String, read.GetProperty("deletedAt").ValueKind);
        Assert.Equal([keep], (await tenant.Admin.AllClientsAsync()).IdsOf());
        Assert.Equal([keep], (await tenant.Admin.AllClientsAsync("ann")).IdsOf());
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.GetAsync("/api/v1/clients/lookup?type=phone&value=%2B14155550123")).StatusCode);
        var chats = await tenant.Admin.WalkAsync("/api/v1/chats?limit=200");
        Assert.DoesNotContain(chatId, chats.IdsOf());
        Assert.Single(chats);
    }

    [Fact]
    public async Task RestoreBringsADeletedClientBackEverywhere()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync("Ann", "+14155550123");
        var chatId = await tenant.Admin.ChatIdAsync(id);
        await tenant.Admin.DeleteAsync($"/api/v1/clients/{id}");

        var response = await tenant.Admin.PostAsync($"/api/v1/clients/{id}/restore", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = await tenant.Admin.GetOkAsync($"/api/v1/clients/{id}");
        Assert.Equal(JsonValueKind.Null, read.GetProperty("deletedAt").ValueKind);
        Assert.Equal([id], (await tenant.Admin.AllClientsAsync("ann")).IdsOf());
        Assert.Equal(id, (await tenant.Admin.GetOkAsync("/api/v1/clients/lookup?type=phone&value=%2B14155550123")).Str("id"));
        Assert.Equal([chatId], (await tenant.Admin.WalkAsync("/api/v1/chats?limit=200")).IdsOf());
    }

    [Fact]
    public async Task ADeletedClientsChatAnswers404AndTakesNoMessageUntilRestored()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync("Ann", "+14155550123");
        var chatId = await tenant.Admin.ChatIdAsync(id);
        await tenant.Admin.GetOkAsync($"/api/v1/chats/{chatId}");

        await tenant.Admin.DeleteAsync($"/api/v1/clients/{id}");
        var readWhileDeleted = await tenant.Admin.GetAsync($"/api/v1/chats/{chatId}");
        var sendWhileDeleted = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/messages", new { text = "hello" });
        await tenant.Admin.PostAsync($"/api/v1/clients/{id}/restore", null);
        var sendRestored = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/messages", new { text = "hello again" });

        Assert.Equal(HttpStatusCode.NotFound, readWhileDeleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, sendWhileDeleted.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, sendRestored.StatusCode);
        Assert.Equal("hello again", (await sendRestored.BodyAsync()).Str("text"));
    }

    [Fact]
    public async Task LookupFollowsAContactValueMovedToAnotherClient()
    {
        var tenant = await Factory.CreateTenantAsync();
        var first = await tenant.Admin.CreateClientAsync(new { firstName = "Ann", contacts = new[] { new { type = "phone", value = "+14155550123" } } });
        var second = await tenant.Admin.CreateClientIdAsync("Bob", phone: null);
        const string Lookup = "/api/v1/clients/lookup?type=phone&value=%2B14155550123";
        var before = await tenant.Admin.GetOkAsync(Lookup);

        var contactId = first.GetProperty("contacts")[0].Str("id");
        (await tenant.Admin.DeleteAsync($"/api/v1/clients/{first.Str("id")}/contacts/{contactId}")).EnsureSuccessStatusCode();
        var whileFree = await tenant.Admin.GetAsync(Lookup);
        (await tenant.Admin.PostAsJsonAsync($"/api/v1/clients/{second}/contacts", new { type = "phone", value = "+14155550123" })).EnsureSuccessStatusCode();
        var after = await tenant.Admin.GetOkAsync(Lookup);

        Assert.Equal(first.Str("id"), before.Str("id"));
        Assert.Equal(HttpStatusCode.NotFound, whileFree.StatusCode);
        Assert.Equal(second, after.Str("id"));
    }

    [Fact]
    public async Task ADeletedClientCannotBeChangedUntilRestored()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync();
        await tenant.Admin.DeleteAsync($"/api/v1/clients/{id}");
        var before = await tenant.Admin.RawAsync($"/api/v1/clients/{id}");

        var response = await tenant.Admin.PatchJsonAsync($"/api/v1/clients/{id}", """{"lastName":"Lee"}""");

        await response.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/clients/{id}"));
    }

    [Theory]
    [InlineData("zelda")]
    [InlineData("QUARK")]
    [InlineData("zelda quark")]
    [InlineData("+14155550199")]
    [InlineData("4155550199")]
    [InlineData("zq@example.com")]
    [InlineData("zq_handle")]
    [InlineData("+14155550177")]
    [InlineData("+1 (415) 555-0177")]
    public async Task SearchFindsClientsByNamePhoneEmailOrContactValue(string query)
    {
        var tenant = await Factory.CreateTenantAsync();
        var zelda = (await tenant.Admin.CreateClientAsync(new
        {
            firstName = "Zelda",
            lastName = "Quark",
            phone = "+14155550199",
            email = "zq@example.com",
            contacts = new[] { new { type = "telegram", value = "@zq_handle" }, new { type = "whatsapp", value = "+14155550177" } },
        })).Str("id");
        await tenant.Admin.CreateClientAsync(new { firstName = "Bob", lastName = "Stone", phone = "+14155550100", email = "bob@example.com" });

        var found = await tenant.Admin.AllClientsAsync(query);

        Assert.Equal([zelda], found.IdsOf());
    }

    [Fact]
    public async Task SearchPagesWithCursorWithoutDuplicatesOrGaps()
    {
        var tenant = await Factory.CreateTenantAsync();
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
            created.Add((await tenant.Admin.CreateClientAsync(new { firstName = $"Client{i}" })).Str("id"));

        var first = await tenant.Admin.GetOkAsync("/api/v1/clients?limit=3");
        var all = await tenant.Admin.WalkAsync("/api/v1/clients?limit=3");

        Assert.Equal(3, first.Items().Count);
        Assert.NotEqual(JsonValueKind.Null, first.GetProperty("nextCursor").ValueKind);
        Assert.Equal(7, all.Count);
        Assert.Equal(created.Order(StringComparer.Ordinal), all.IdsOf().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SearchDoesNotShowOtherTenantsClients()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var mine = await tenant.Admin.CreateClientIdAsync("Ann");
        await other.Admin.CreateClientIdAsync("Ann");

        var found = await tenant.Admin.AllClientsAsync("ann");

        Assert.Equal([mine], found.IdsOf());
    }

    [Theory]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("a%n")]
    public async Task SearchTreatsWildcardsAsPlainText(string query)
    {
        var tenant = await Factory.CreateTenantAsync();
        await tenant.Admin.CreateClientIdAsync("Ann", phone: null);
        await tenant.Admin.CreateClientIdAsync("Bob", phone: null);

        var found = await tenant.Admin.AllClientsAsync(query);

        Assert.Empty(found);
    }

    [Fact]
    public async Task ConcurrentCreatesWithTheSameContactLetExactlyOneClientOwnIt()
    {
        var tenant = await Factory.CreateTenantAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => tenant.Admin.PostAsJsonAsync("/api/v1/clients",
            new { firstName = $"C{i}", contacts = new[] { new { type = "phone", value = i % 2 == 0 ? "+14155550123" : "+1 415 555 0123" } } })));

        var winner = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses.Where(r => r != winner), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var id = (await winner.BodyAsync()).Str("id");
        Assert.Equal([id], (await tenant.Admin.AllClientsAsync()).IdsOf());
        Assert.Equal(id, (await tenant.Admin.GetOkAsync("/api/v1/clients/lookup?type=phone&value=%2B14155550123")).Str("id"));
    }

    [Fact]
    public async Task LookupFindsTheClientOwningAContactValue()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = (await tenant.Admin.CreateClientAsync(new
        {
            firstName = "Ann",
            contacts = new[] { new { type = "phone", value = "+14155550123" }, new { type = "email", value = "ann@example.com" } },
        })).Str("id");
        await tenant.Admin.CreateClientIdAsync("Bob", "+14155550100");

        var byPhone = await tenant.Admin.GetOkAsync($"/api/v1/clients/lookup?type=phone&value={Uri.EscapeDataString("+1 415 555 0123")}");
        var byEmail = await tenant.Admin.GetOkAsync("/api/v1/clients/lookup?type=email&value=ANN%40example.com");

        Assert.Equal(id, byPhone.Str("id"));
        Assert.Equal(id, byEmail.Str("id"));
    }

    [Fact]
    public async Task LookupOfAValueNobodyOwnsIs404()
    {
        var tenant = await Factory.CreateTenantAsync();
        await tenant.Admin.CreateClientIdAsync("Ann", "+14155550123");

        var response = await tenant.Admin.GetAsync("/api/v1/clients/lookup?type=phone&value=%2B14155550124");
        var otherType = await tenant.Admin.GetAsync("/api/v1/clients/lookup?type=whatsapp&value=%2B14155550123");

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        await otherType.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AddingAContactAnswers201AndShowsItOnTheClient()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync(phone: null);

        var response = await tenant.Admin.PostAsJsonAsync($"/api/v1/clients/{id}/contacts", new { type = "email", value = "Ann@Example.com" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.NotNull(response.Headers.Location);
        var contact = await response.BodyAsync();
        Assert.Equal("email", contact.Str("type"));
        Assert.Equal("ann@example.com", contact.Str("value"));
        var read = await tenant.Admin.GetOkAsync($"/api/v1/clients/{id}");
        Assert.Equal(contact.GetRawText(), Assert.Single(read.GetProperty("contacts").EnumerateArray()).GetRawText());
        Assert.Equal(id, (await tenant.Admin.GetOkAsync("/api/v1/clients/lookup?type=email&value=ann%40example.com")).Str("id"));
    }

    [Fact]
    public async Task AddingAContactAnotherClientOwnsIsAConflictAndChangesNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var owner = await tenant.Admin.CreateClientIdAsync("Ann", "+14155550123");
        var other = await tenant.Admin.CreateClientIdAsync("Bob", phone: null);
        var before = await tenant.Admin.RawAsync($"/api/v1/clients/{other}");

        var response = await tenant.Admin.PostAsJsonAsync($"/api/v1/clients/{other}/contacts", new { type = "phone", value = "+1 415 555 0123" });

        await response.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/clients/{other}"));
        Assert.Equal(owner, (await tenant.Admin.GetOkAsync("/api/v1/clients/lookup?type=phone&value=%2B14155550123")).Str("id"));
    }

    [Fact]
    public async Task CreatingWithAContactAnotherClientOwnsIsAConflictAndStoresNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var owner = await tenant.Admin.CreateClientIdAsync("Ann", "+14155550123");

        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/clients", new
        {
            firstName = "Bob",
            contacts = new[] { new { type = "email", value = "bob@example.com" }, new { type = "phone", value = "+14155550123" } },
        });

        await response.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal([owner], (await tenant.Admin.AllClientsAsync()).IdsOf());
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.GetAsync("/api/v1/clients/lookup?type=email&value=bob%40example.com")).StatusCode);
        var retry = await tenant.Admin.PostAsJsonAsync("/api/v1/clients", new { firstName = "Bob", contacts = new[] { new { type = "email", value = "bob@example.com" } } });
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
    }

    [Fact]
    public async Task TheSameContactValueIsFineInAnotherTenant()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var theirs = await other.Admin.CreateClientIdAsync("Ann", "+14155550123");
        var mine = await tenant.Admin.CreateClientIdAsync("Bob", phone: null);

        var response = await tenant.Admin.PostAsJsonAsync($"/api/v1/clients/{mine}/contacts", new { type = "phone", value = "+14155550123" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(mine, (await tenant.Admin.GetOkAsync("/api/v1/clients/lookup?type=phone&value=%2B14155550123")).Str("id"));
        Assert.Equal(theirs, (await other.Admin.GetOkAsync("/api/v1/clients/lookup?type=phone&value=%2B14155550123")).Str("id"));
    }

    [Fact]
    public async Task ARemovedContactValueCanBeClaimedByAnotherClient()
    {
        var tenant = await Factory.CreateTenantAsync();
        var first = (await tenant.Admin.CreateClientAsync(new { firstName = "Ann", contacts = new[] { new { type = "phone", value = "+14155550123" } } }));
        var second = await tenant.Admin.CreateClientIdAsync("Bob", phone: null);
        var contactId = first.GetProperty("contacts")[0].Str("id");

        var removed = await tenant.Admin.DeleteAsync($"/api/v1/clients/{first.Str("id")}/contacts/{contactId}");
        var claimed = await tenant.Admin.PostAsJsonAsync($"/api/v1/clients/{second}/contacts", new { type = "phone", value = "+14155550123" });

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Equal(HttpStatusCode.Created, claimed.StatusCode);
        Assert.Empty((await tenant.Admin.GetOkAsync($"/api/v1/clients/{first.Str("id")}")).GetProperty("contacts").EnumerateArray());
        Assert.Equal(second, (await tenant.Admin.GetOkAsync("/api/v1/clients/lookup?type=phone&value=%2B14155550123")).Str("id"));
    }

    [Fact]
    public async Task RemovingAnUnknownContactIs404()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync();
        var before = await tenant.Admin.RawAsync($"/api/v1/clients/{id}");

        var response = await tenant.Admin.DeleteAsync($"/api/v1/clients/{id}/contacts/ct_nothere");

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/clients/{id}"));
    }

    [Fact]
    public async Task ConsentIsRecordedPerTransport()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync();

        var optOut = await tenant.Admin.PutAsJsonAsync($"/api/v1/clients/{id}/consent/sms", new { optedIn = false });
        var optIn = await tenant.Admin.PutAsJsonAsync($"/api/v1/clients/{id}/consent/email", new { optedIn = true });

        Assert.Equal(HttpStatusCode.OK, optOut.StatusCode);
        Assert.Equal(HttpStatusCode.OK, optIn.StatusCode);
        var consent = (await tenant.Admin.GetOkAsync($"/api/v1/clients/{id}")).GetProperty("consent");
        Assert.False(consent.GetProperty("sms").GetProperty("optedIn").GetBoolean());
        Assert.True(consent.GetProperty("email").GetProperty("optedIn").GetBoolean());
        Assert.False(consent.TryGetProperty("whatsapp", out _));
    }

    [Fact]
    public async Task ConsentForAnUnknownTransportIsRejectedAndChangesNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync();
        var before = await tenant.Admin.RawAsync($"/api/v1/clients/{id}");

        var unknown = await tenant.Admin.PutAsJsonAsync($"/api/v1/clients/{id}/consent/pigeon", new { optedIn = false });
        var missing = await tenant.Admin.PutAsJsonAsync($"/api/v1/clients/{id}/consent/sms", new { });

        await unknown.AssertInvalidAsync("transport");
        await missing.AssertInvalidAsync("optedIn");
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/clients/{id}"));
    }
}
