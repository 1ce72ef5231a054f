using System.Net;
using System.Net.Http.Json;
using Crm.Api.Tests;
using Crm.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crm.Console.Tests;

/// <summary>The agent console in a real browser, against the real API, with Twilio played by the fake.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleTests(ConsoleFixture fixture)
{
    private const string Phone = ConsoleFixture.ClientPhone;

    private static string Screenshot(string name) => Path.Combine(PostgresServer.RepositoryRoot(), "docs", $"console-{name}.png");

    private static ILocator Composer(IPage page) => page.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true });

    private static async Task SendAsync(IPage page, string text)
    {
        await Composer(page).FillAsync(text);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
    }

    [Fact]
    public async Task APersonSignsInWithEmailAndPasswordAndSeesTheInbox()
    {
        var tenant = await fixture.CreateTenantAsync();

        var page = await fixture.SignInAsync(tenant.AdminEmail);

        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToContainTextAsync("Inbox");
        await Expect(page.Locator(".inbox-pane")).ToContainTextAsync("No chats yet.");
    }

    [Fact]
    public async Task TheChannelFilterShowsOnlyThatChannelsChatsAndLiveRowsAreNamed()
    {
        var tenant = await fixture.CreateTenantAsync();
        var page = await fixture.SignInAsync(tenant.AdminEmail);
        var smsRow = await ConsoleFixture.ClientWritesAsync(tenant, page, Phone, "Do you deliver on Sundays?");
        var client = await (await tenant.Tenant.Admin.PostAsJsonAsync("/api/v1/clients",
            new { firstName = "Mia", lastName = "Chen", contacts = new[] { new { type = "email", value = "mia@example.com" } } })).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var chat = await (await tenant.Tenant.Admin.GetAsync($"/api/v1/clients/{client.GetProperty("id").GetString()}/chat")).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var sent = await tenant.Tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chat.GetProperty("id").GetString()}/messages", new { text = "Your invoice is attached", transport = "email" });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);

        await page.GetByLabel("Channel").SelectOptionAsync("email");

        var list = page.Locator(".chat-list");
        await Expect(list).ToContainTextAsync("Mia Chen");
        await Expect(list).Not.ToContainTextAsync("Do you deliver on Sundays?");
        await page.GetByLabel("Channel").SelectOptionAsync("");
        await Expect(smsRow).ToBeVisibleAsync();
        await Expect(smsRow).Not.ToContainTextAsync("Unnamed client");
    }

    [Fact]
    public async Task AWrongPasswordSaysSoAndKeepsTheEmail()
    {
        var tenant = await fixture.CreateTenantAsync();
        var page = await fixture.PageAsync();
        await page.GotoAsync("/");

        await page.GetByLabel("Email").FillAsync(tenant.AdminEmail);
        await page.GetByLabel("Password").FillAsync("not the password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The email or password is wrong.");
        await Expect(page.GetByLabel("Email")).ToHaveValueAsync(tenant.AdminEmail);
    }

    [Fact]
    public async Task AnInboundSmsAppearsLiveWithAnUnreadBadgeThatOpeningTheChatClears()
    {
        var tenant = await fixture.CreateTenantAsync();
        var page = await fixture.SignInAsync(tenant.AdminEmail);
        await tenant.Tenant.Admin.PostAsJsonAsync("/api/v1/clients", new { firstName = "Ben", lastName = "Okafor", contacts = new[] { new { type = "email", value = "ben@example.com" } } });

        var row = await ConsoleFixture.ClientWritesAsync(tenant, page, Phone, "Is my order ready?");

        await Expect(row.Locator(".badge")).ToHaveTextAsync("1");
        await Expect(row.Locator(".channel")).ToHaveAttributeAsync("aria-label", "SMS");
        await page.ScreenshotAsync(new() { Path = Screenshot("inbox") });
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.Locator(".message.inbound")).ToContainTextAsync("Is my order ready?");
        await Expect(row.Locator(".badge")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task ATemplateReplyReachesTwilioAndTurnsDeliveredOnTheStatusCallback()
    {
        var tenant = await fixture.CreateTenantAsync();
        await tenant.Tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Shipped", text = "Good news: your order has shipped." });
        var page = await fixture.SignInAsync(tenant.AdminEmail);
        var row = await ConsoleFixture.ClientWritesAsync(tenant, page, Phone, "Where is my parcel?");
        await row.GetByRole(AriaRole.Link).ClickAsync();
        var message = Composer(page);

        await message.FillAsync("/ship");
        await Expect(page.GetByRole(AriaRole.Listbox, new() { Name = "Templates" })).ToContainTextAsync("Shipped");
        await message.PressAsync("Enter");
        await Expect(message).ToHaveValueAsync("Good news: your order has shipped.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();

        var send = await Channel.EventuallyAsync(() => Task.FromResult(fixture.Twilio.Accepted.FirstOrDefault(s => s.AccountSid == tenant.AccountSid)), s => s is not null, "the reply at Twilio");
        Assert.Equal(("Good news: your order has shipped.", Phone), (send!.Form["Body"], send.Form["To"]));
        var reply = page.Locator(".message.outbound").Last;
        await Expect(reply).ToHaveAttributeAsync("data-status", "sending");
        var chatId = (await tenant.Tenant.Admin.GetOkAsync("/api/v1/chats")).GetProperty("items")[0].Str("id");
        var stored = (await tenant.Tenant.Admin.MessagesAsync(chatId)).Single(m => m.Str("direction") == "outbound");
        Assert.Equal(HttpStatusCode.OK, (await tenant.Twilio.StatusAsync(stored.Str("id"), TwilioForms.Status(send.Sid, "delivered", to: Phone))).StatusCode);
        await Expect(reply).ToHaveAttributeAsync("data-status", "delivered");
        await Expect(reply.Locator(".delivery")).ToContainTextAsync("Delivered");
        await page.ScreenshotAsync(new() { Path = Screenshot("chat") });
    }

    [Fact]
    public async Task AFailedSendShowsTheProvidersReasonAndRetrySendsIt()
    {
        var tenant = await fixture.CreateTenantAsync();
        var page = await fixture.SignInAsync(tenant.AdminEmail);
        var row = await ConsoleFixture.ClientWritesAsync(tenant, page, Phone, "Call me back?");
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(Composer(page)).ToBeVisibleAsync();
        fixture.Twilio.FailNext(400, 21211, "The 'To' number is not a valid phone number.");

        await SendAsync(page, "Hello?");

        var reply = page.Locator(".message.outbound").Last;
        await Expect(reply).ToHaveAttributeAsync("data-status", "failed");
        await Expect(reply.Locator(".delivery")).ToContainTextAsync("Failed (21211)");
        await reply.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await Expect(reply).ToHaveAttributeAsync("data-status", "sending");
        Assert.Contains(fixture.Twilio.Accepted, s => s.AccountSid == tenant.AccountSid && s.Form["Body"] == "Hello?");
    }

    [Fact]
    public async Task EditingAClientSavesTheProfileAndShowsAContactConflictInline()
    {
        var tenant = await fixture.CreateTenantAsync();
        var clientId = await tenant.Tenant.Admin.CreateClientIdAsync("Ann", "+14155550199");
        await tenant.Tenant.Admin.CreateClientAsync(new { firstName = "Other", contacts = new[] { new { type = "email", value = "taken@example.com" } } });
        var page = await fixture.SignInAsync(tenant.AdminEmail);
        await page.GotoAsync($"/#/clients/{clientId}");
        var profile = page.GetByRole(AriaRole.Form, new() { Name = "Profile" });

        await profile.GetByLabel("Last name").FillAsync("Lee");
        await profile.GetByLabel("Comment").FillAsync("Prefers SMS in the morning.");
        await profile.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(profile.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved");
        var contact = page.GetByRole(AriaRole.Form, new() { Name = "Add a contact" });
        await contact.GetByLabel("Type").SelectOptionAsync("email");
        await contact.GetByLabel("Value").FillAsync("taken@example.com");
        await contact.GetByRole(AriaRole.Button, new() { Name = "Add contact" }).ClickAsync();

        await Expect(contact.Locator("[data-field=value] .field-error")).ToContainTextAsync("Another client already has this contact.");
        await Expect(contact.GetByLabel("Value")).ToHaveValueAsync("taken@example.com");
        await Expect(page.Locator(".client-head h1")).ToHaveTextAsync("Ann Lee");
        var stored = await tenant.Tenant.Admin.GetOkAsync($"/api/v1/clients/{clientId}");
        Assert.Equal(("Lee", "Prefers SMS in the morning."), (stored.Str("lastName"), stored.Str("comment")));
        await page.Locator("table tbody tr").First.WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Screenshot("client"), FullPage = true });
    }

    [Fact]
    public async Task ASalesUserSeesNoAdminPages()
    {
        var tenant = await fixture.CreateTenantAsync();
        var email = await fixture.InviteAsync(tenant.Tenant, "sales");

        var page = await fixture.SignInAsync(email);

        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Inbox" })).ToBeVisibleAsync();
        await Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Admin" })).ToHaveCountAsync(0);
        await page.GotoAsync("/#/admin/users");
        await Expect(page.Locator("#view")).ToContainTextAsync("The admin pages are for admins.");
        var users = await page.APIRequest.GetAsync("/api/v1/users");
        Assert.Equal(403, users.Status);
    }

    [Fact]
    public async Task AnAdminSeesTheWebhookUrlToRegisterAndTestSendsOnTwilio()
    {
        var tenant = await fixture.CreateTenantAsync();
        await tenant.Tenant.Admin.CreateClientIdAsync("Ann", Phone);
        var page = await fixture.SignInAsync(tenant.AdminEmail);

        await page.GetByRole(AriaRole.Link, new() { Name = "Admin" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Channels" }).ClickAsync();
        var twilio = page.Locator("[data-channel=twilio]");
        await Expect(twilio).ToContainTextAsync($"/webhooks/twilio/{tenant.Tenant.Id}");
        await twilio.GetByLabel("To (a client’s contact)").FillAsync(Phone);
        await twilio.GetByRole(AriaRole.Button, new() { Name = "Send test" }).ClickAsync();

        await Expect(twilio.GetByRole(AriaRole.Status)).ToContainTextAsync("The provider took it");
        Assert.Contains(fixture.Twilio.Accepted, s => s.AccountSid == tenant.AccountSid && s.Form["Body"] == "Test message from Crm");
    }

    [Fact]
    public async Task SigningOutEndsTheSession()
    {
        var tenant = await fixture.CreateTenantAsync();
        var page = await fixture.SignInAsync(tenant.AdminEmail);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Crm" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("You are signed out.");
        Assert.Equal(401, (await page.APIRequest.GetAsync("/api/v1/session")).Status);
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Crm" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task OnAPhoneTheInboxAndTheChatTakeTheWholeScreenInTurn()
    {
        var tenant = await fixture.CreateTenantAsync();
        var page = await fixture.SignInAsync(tenant.AdminEmail, 390, 844);
        var row = await ConsoleFixture.ClientWritesAsync(tenant, page, Phone, "Hi from my phone");

        await row.GetByRole(AriaRole.Link).ClickAsync();

        await Expect(page.Locator(".inbox-pane")).ToBeHiddenAsync();
        await Expect(Composer(page)).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "← Inbox" }).ClickAsync();
        await Expect(row).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
    }
}
