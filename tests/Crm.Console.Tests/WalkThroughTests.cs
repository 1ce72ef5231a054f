using System.Net.Http.Json;
using Crm.Api.Tests;
using Crm.Providers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crm.Console.Tests;

/// <summary>
/// README's "Walk-through in the browser", step by step, as a newcomer does it after ./crm up: a tenant with only
/// the website channel (no internet, SMS not configured), the demo page as the visitor, the console as the agents.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class WalkThroughTests(ConsoleFixture fixture)
{
    private const string Question = "Hi, do you ship to Canada?";
    private const string TemplateText = "Thanks for writing! Yes, we ship to Canada within 5 days.";

    /// <summary>What ./crm up makes: "My company", its admin with a password, and a website channel with a site key.</summary>
    private async Task<(string AdminEmail, string SiteKey, string AdminKey)> FirstTenantAsync()
    {
        var email = $"admin{Guid.NewGuid():N}@example.com";
        using var system = fixture.Host.ClientWithKey(CrmApiFactory.SystemKey);
        var response = await system.PostAsJsonAsync("/api/v1/tenants", new { name = "My company", adminEmail = email, adminPassword = ConsoleFixture.Password });
        response.EnsureSuccessStatusCode();
        var body = await response.BodyAsync();
        var siteKey = "site_" + Guid.NewGuid().ToString("N");
        fixture.Host.ConfigureChannels(body.Str("tenantId"),
            c => c.Widget = new WidgetSettings { SiteKey = siteKey, TokenSecret = "token-secret-" + Guid.NewGuid().ToString("N") });
        return (email, siteKey, body.Str("apiKey"));
    }

    private static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    private static ILocator Link(IPage page, string name) => page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    [Fact]
    public async Task ANewcomerFollowsTheReadmeInTheBrowser()
    {
        var (adminEmail, siteKey, _) = await FirstTenantAsync();

        // 1. Sign in with the printed email and password.
        var console = await fixture.PageAsync();
        await console.GotoAsync("/");
        await console.GetByLabel("Email").FillAsync(adminEmail);
        await console.GetByLabel("Password").FillAsync(ConsoleFixture.Password);
        await Button(console, "Sign in").ClickAsync();
        await Expect(console.Locator(".inbox-pane")).ToContainTextAsync("No chats yet.");
        await Expect(console.Locator(".live.on")).ToHaveTextAsync("Live");

        // 2. Admin → Channels: the website channel is configured.
        await Link(console, "Admin").ClickAsync();
        await Link(console, "Channels").ClickAsync();
        await Expect(console.Locator("[data-channel=widget] .tag")).ToHaveTextAsync("configured");
        await Expect(console.Locator("[data-channel=twilio] .tag")).ToHaveTextAsync("off");

        // 3. Admin → Templates: a template for the reply.
        await Link(console, "Templates").ClickAsync();
        var newTemplate = console.GetByRole(AriaRole.Form, new() { Name = "New template" });
        await newTemplate.GetByLabel("Name").FillAsync("Shipping");
        await newTemplate.GetByLabel("Text").FillAsync(TemplateText);
        await newTemplate.GetByRole(AriaRole.Button, new() { Name = "Create template" }).ClickAsync();
        await Expect(console.GetByRole(AriaRole.Form, new() { Name = "Template Shipping" })).ToBeVisibleAsync();
        await Link(console, "Inbox").ClickAsync();

        // 4. The demo website in another tab: a visitor writes.
        var website = await console.Context.NewPageAsync();
        await website.GotoAsync($"/demo/widget.html?site={siteKey}");
        await website.GetByLabel("Your name").FillAsync("Alex Kim");
        await website.GetByLabel("Message").FillAsync(Question);
        await Button(website, "Send").ClickAsync();
        var conversation = website.GetByRole(AriaRole.List, new() { Name = "Conversation" });
        await Expect(conversation).ToContainTextAsync(Question);

        // 5. It appears in the inbox live, with an unread badge.
        var row = console.Locator(".chat-list li", new() { HasText = Question });
        await Expect(row).ToContainTextAsync("Alex Kim");
        await Expect(row.Locator(".badge")).ToHaveTextAsync("1");
        await Expect(row.Locator(".channel")).ToHaveAttributeAsync("aria-label", "Website");

        // 6. Opening it shows the message and clears the badge.
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(console.Locator(".message.inbound")).ToContainTextAsync(Question);
        await Expect(row.Locator(".badge")).ToHaveCountAsync(0);

        // 7. Reply with the template: type / and pick it.
        var message = console.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true });
        await message.FillAsync("/ship");
        await Expect(console.GetByRole(AriaRole.Listbox, new() { Name = "Templates" })).ToContainTextAsync("Shipping");
        await message.PressAsync("Enter");
        await Expect(message).ToHaveValueAsync(TemplateText);
        await Button(console, "Send").ClickAsync();
        await Expect(console.Locator(".message.outbound").Last).ToHaveAttributeAsync("data-status", "sent");

        // 8. The visitor reads the reply on the demo page.
        await Expect(conversation.Locator("li.agent")).ToContainTextAsync(TemplateText);

        // 9. The client's profile: a comment and a phone contact.
        await console.Locator(".chat-title a").ClickAsync();
        var profile = console.GetByRole(AriaRole.Form, new() { Name = "Profile" });
        await Expect(profile.GetByLabel("First name")).ToHaveValueAsync("Alex");
        await profile.GetByLabel("Comment").FillAsync("Ships to Canada.");
        await profile.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(profile.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved");
        var contact = console.GetByRole(AriaRole.Form, new() { Name = "Add a contact" });
        await contact.GetByLabel("Type").SelectOptionAsync("phone");
        await contact.GetByLabel("Value").FillAsync("+1 416 555 0100");
        await contact.GetByRole(AriaRole.Button, new() { Name = "Add contact" }).ClickAsync();
        await Expect(console.GetByRole(AriaRole.Button, new() { Name = "Remove phone +14165550100" })).ToBeVisibleAsync();

        // 10. SMS is not configured: a send on it fails with the reason, and Retry is offered.
        await Button(console, "Open chat").ClickAsync();
        await console.GetByLabel("Send via").SelectOptionAsync("sms");
        await message.FillAsync("Can we call you tomorrow?");
        await Button(console, "Send").ClickAsync();
        var failed = console.Locator(".message.outbound", new() { HasText = "Can we call you tomorrow?" });
        await Expect(failed.Locator(".delivery")).ToContainTextAsync("Failed (channel_not_configured)");
        await Expect(failed.GetByRole(AriaRole.Button, new() { Name = "Retry" })).ToBeVisibleAsync();

        // 11. Invite a colleague by link.
        await Link(console, "Admin").ClickAsync();
        var invite = console.GetByRole(AriaRole.Form, new() { Name = "Invite a user" });
        await invite.GetByLabel("Name").FillAsync("Sam Rivera");
        await invite.GetByLabel("Email").FillAsync($"sam{Guid.NewGuid():N}@example.com");
        await invite.GetByLabel("Role").SelectOptionAsync("agent");
        await invite.GetByRole(AriaRole.Button, new() { Name = "Invite" }).ClickAsync();
        var link = await invite.GetByLabel("Invitation link").InputValueAsync();
        Assert.Contains("/#/invite/", link, StringComparison.Ordinal);

        // 12. The colleague opens it in a private window, sets a password and lands in the inbox.
        var colleague = await fixture.PageAsync();
        await colleague.GotoAsync(link);
        await Expect(colleague.GetByRole(AriaRole.Heading, new() { Name = "Join My company" })).ToBeVisibleAsync();
        await colleague.GetByLabel("New password").FillAsync("sam's own password");
        await Button(colleague, "Set password and sign in").ClickAsync();
        await Expect(colleague.Locator(".who")).ToContainTextAsync("Sam Rivera (agent)");
        await Expect(colleague.Locator(".chat-list li", new() { HasText = "Alex Kim" })).ToBeVisibleAsync();
        await colleague.GotoAsync(link);
        await Expect(colleague.Locator("#view")).ToContainTextAsync("You are signed in as");
    }

    [Fact]
    public async Task AUsedInvitationLinkSaysSoInTheBrowser()
    {
        var (_, _, adminKey) = await FirstTenantAsync();
        using var admin = fixture.Host.ClientWithKey(adminKey);
        var created = await (await admin.PostAsJsonAsync("/api/v1/users", new { name = "Kai", role = "sales", email = $"kai{Guid.NewGuid():N}@example.com" })).BodyAsync();
        var link = created.Str("inviteUrl");
        var first = await fixture.PageAsync();
        await first.GotoAsync(link);
        await first.GetByLabel("New password").FillAsync("short");
        await Button(first, "Set password and sign in").ClickAsync();
        await Expect(first.Locator("[data-field=password] .field-error")).ToContainTextAsync("At least 10 characters.");
        await first.GetByLabel("New password").FillAsync("kai's long password");
        await Button(first, "Set password and sign in").ClickAsync();
        await Expect(Button(first, "Sign out")).ToBeVisibleAsync();

        var second = await fixture.PageAsync();
        await second.GotoAsync(link);

        await Expect(second.GetByRole(AriaRole.Status)).ToContainTextAsync("it was used, it expired");
        await Expect(second.GetByLabel("New password")).ToHaveCountAsync(0);
    }
}
