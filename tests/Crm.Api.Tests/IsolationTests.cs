using System.Net;
using System.Net.Http.Json;
using Crm.Providers;
using Crm.Testing;

namespace Crm.Api.Tests;

/// <summary>
/// Tenant B's credentials on tenant A's resources, for the endpoints the client and chat isolation
/// tests in <see cref="AuthTests"/> do not reach: templates, users, attachments, retries, logged
/// calls and provider webhooks. Each answers 404 (or 403 for a webhook signed with the wrong
/// tenant's secret) and A's data is unchanged.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class IsolationTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task AnotherTenantsTemplateIs404ForReadReplaceAndDelete()
    {
        var a = await Factory.CreateTenantAsync();
        var b = await Factory.CreateTenantAsync();
        var template = await (await a.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "greet", text = "Hello" })).BodyAsync();
        var url = $"/api/v1/templates/{template.Str("id")}";

        var read = await b.Admin.GetAsync(url);
        var replace = await b.Admin.PutAsJsonAsync(url, new { name = "x", text = "hijacked" });
        var delete = await b.Admin.DeleteAsync(url);

        Assert.All([read, replace, delete], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Equal("Hello", (await a.Admin.GetOkAsync(url)).Str("text"));
    }

    [Fact]
    public async Task AnotherTenantsUserCannotBeDeactivatedOrListed()
    {
        var a = await Factory.CreateTenantAsync();
        var b = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(a, "agent");

        var deactivate = await b.Admin.DeleteAsync($"/api/v1/users/{agent.Id}");
        var listed = await b.Admin.GetOkAsync("/api/v1/users");

        Assert.Equal(HttpStatusCode.NotFound, deactivate.StatusCode);
        Assert.DoesNotContain(agent.Id, listed.Items().IdsOf());
        Assert.Equal(HttpStatusCode.OK, (await agent.Http.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task AnotherTenantsAttachmentCannotBeDownloadedOrAttached()
    {
        var a = await Factory.CreateTenantAsync();
        var b = await Factory.CreateTenantAsync();
        using var form = new MultipartFormDataContent { { new ByteArrayContent("secret contract"u8.ToArray()), "file", "contract.txt" } };
        var uploaded = await (await a.Admin.PostAsync("/api/v1/attachments", form)).BodyAsync();
        var chatId = await b.Admin.ChatIdAsync(await b.Admin.CreateClientIdAsync());

        var download = await b.Admin.GetAsync($"/api/v1/attachments/{uploaded.Str("id")}");
        var attach = await b.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/messages", new { text = "see file", attachments = new[] { uploaded.Str("id") } });

        Assert.Equal(HttpStatusCode.NotFound, download.StatusCode);
        await attach.AssertInvalidAsync("attachments");
        Assert.Empty(await b.Admin.MessagesAsync(chatId));
    }

    [Fact]
    public async Task AnotherTenantsChatCannotBeLoggedOnOrRetried()
    {
        var a = await Factory.CreateTenantAsync();
        var b = await Factory.CreateTenantAsync();
        var chatId = await a.Admin.ChatIdAsync(await a.Admin.CreateClientIdAsync());
        await a.Admin.SendOkAsync(chatId, "first");

        var log = await b.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/log", new { transport = "phone", text = "fake call" });
        var retry = await b.Admin.PostAsync($"/api/v1/chats/{chatId}/messages/1/retry", null);

        Assert.Equal(HttpStatusCode.NotFound, log.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, retry.StatusCode);
        Assert.Single(await a.Admin.MessagesAsync(chatId));
    }

    [Fact]
    public async Task AWebhookSignedWithAnotherTenantsSecretIsRefusedAndStoresNothing()
    {
        var a = await Factory.CreateTenantAsync();
        var b = await Factory.CreateTenantAsync();
        Factory.ConfigureChannels(a.Id, c => c.Twilio = new TwilioSettings { AccountSid = TwilioForms.AccountSid, AuthToken = "token-of-a", SmsFrom = "+15005550006" });
        Factory.ConfigureChannels(b.Id, c => c.Twilio = new TwilioSettings { AccountSid = TwilioForms.AccountSid, AuthToken = "token-of-b", SmsFrom = "+15005550006" });
        var signedByB = new TwilioDriver(Factory, a.Id, "token-of-b");

        var response = await signedByB.MessageAsync(TwilioForms.Sms("+14155550166", "let me in"));
        await Task.Delay(500);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await a.Admin.AllClientsAsync());
    }
}
