using System.Net;
using System.Net.Http.Json;
using Crm.Testing;

namespace Crm.Api.Tests;

/// <summary>A stop and a fresh start on the same database loses nothing: state lives in PostgreSQL, not in the process.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task EverythingReadsBackIdenticalAfterARestart()
    {
        var database = await PostgresServer.CreateDatabaseAsync();
        string key, clientUrl, chatId, templateUrl, client, chat, messages, template, chats, original;
        await using (var before = new CrmApiFactory(database))
        {
            var tenant = await before.CreateTenantAsync();
            key = tenant.AdminKey;
            var created = await tenant.Admin.CreateClientAsync(new
            {
                firstName = "Ann",
                lastName = "Lee",
                dateOfBirth = "1990-04-01",
                email = "ann@example.com",
                contacts = new[] { new { type = "phone", value = "+14155550123" }, new { type = "telegram", value = "@ann_lee" } },
            });
            clientUrl = $"/api/v1/clients/{created.Str("id")}";
            await tenant.Admin.PutAsJsonAsync($"{clientUrl}/consent/email", new { optedIn = false });
            var templateResponse = await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Welcome to Acme!" });
            templateUrl = templateResponse.Headers.Location!.OriginalString;
            var templateId = (await templateResponse.BodyAsync()).Str("id");
            chatId = await tenant.Admin.ChatIdAsync(created.Str("id"));
            original = (await tenant.Admin.SendOkAsync(chatId, "first", "idem-1")).Str("id");
            await tenant.Admin.SendAsync(chatId, new { templateId });
            await tenant.Admin.SendOkAsync(chatId, "third");
            await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/read", new { upToSeq = 3 });

            client = await tenant.Admin.RawAsync(clientUrl);
            chat = await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}");
            chats = await tenant.Admin.RawAsync("/api/v1/chats");
            messages = await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}/messages");
            template = await tenant.Admin.RawAsync(templateUrl);
        }

        await using var after = new CrmApiFactory(database);
        using var admin = after.ClientWithKey(key);
        var clientAfter = await admin.RawAsync(clientUrl);
        var chatAfter = await admin.RawAsync($"/api/v1/chats/{chatId}");
        var chatsAfter = await admin.RawAsync("/api/v1/chats");
        var messagesAfter = await admin.RawAsync($"/api/v1/chats/{chatId}/messages");
        var templateAfter = await admin.RawAsync(templateUrl);
        var lookup = await admin.GetOkAsync("/api/v1/clients/lookup?type=telegram&value=%40Ann_Lee");
        var repeat = await admin.SendAsync(chatId, new { text = "first" }, "idem-1");
        var next = await admin.SendOkAsync(chatId, "fourth");

        Assert.Equal(client, clientAfter);
        Assert.Equal(chat, chatAfter);
        Assert.Equal(chats, chatsAfter);
        Assert.Equal(messages, messagesAfter);
        Assert.Equal(template, templateAfter);
        Assert.Equal(clientUrl, $"/api/v1/clients/{lookup.Str("id")}");
        Assert.Equal(HttpStatusCode.Accepted, repeat.StatusCode);
        Assert.Equal(original, (await repeat.BodyAsync()).Str("id"));
        Assert.Equal(4, next.GetProperty("seq").GetInt64());
        var all = await admin.MessagesAsync(chatId);
        Assert.Equal(["first", "Welcome to Acme!", "third", "fourth"], all.Select(m => m.Str("text")));
        Assert.Equal([1L, 2L, 3L, 4L], all.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Equal(4, (await admin.GetOkAsync($"/api/v1/chats/{chatId}")).GetProperty("lastMessage").GetProperty("seq").GetInt64());
    }
}
