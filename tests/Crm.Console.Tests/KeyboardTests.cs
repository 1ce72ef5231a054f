using System.Net;
using Crm.Api.Tests;
using Crm.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crm.Console.Tests;

/// <summary>An agent's day without a mouse: every step by Tab, Shift+Tab, Enter, arrow keys and Escape, the focus always visible.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class KeyboardTests(ConsoleFixture fixture)
{
    private const string OtherPhone = "+14155550124";

    // What :focus-visible draws on the focused element: an outline or a shadow wide enough to see.
    private const string FocusShown = """
        () => {
          const el = document.activeElement;
          if (!el || el === document.body || !el.matches(':focus-visible')) return 'nothing focused visibly: ' + (el?.outerHTML ?? '').slice(0, 120);
          const s = getComputedStyle(el);
          const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
          return outline || s.boxShadow !== 'none' ? '' : 'no outline on ' + el.outerHTML.slice(0, 120);
        }
        """;

    [Fact]
    public async Task AnAgentSignsInReadsAndAnswersAChatAndOpensTheClientWithTheKeyboardOnly()
    {
        var tenant = await fixture.CreateTenantAsync();
        Assert.Equal(HttpStatusCode.OK, (await tenant.Twilio.MessageAsync(TwilioForms.Sms(ConsoleFixture.ClientPhone, "First question"))).StatusCode);
        await Channel.EventuallyAsync(() => tenant.Tenant.Admin.GetOkAsync("/api/v1/chats"), c => c.GetProperty("items").GetArrayLength() == 1, "the first chat");
        Assert.Equal(HttpStatusCode.OK, (await tenant.Twilio.MessageAsync(TwilioForms.Sms(OtherPhone, "Second question"))).StatusCode);
        var page = await fixture.PageAsync();
        await page.GotoAsync("/");
        var keys = page.Keyboard;
        await Expect(page.GetByLabel("Email")).ToBeFocusedAsync();

        await keys.TypeAsync(tenant.AdminEmail);
        await keys.PressAsync("Tab");
        await keys.TypeAsync(ConsoleFixture.Password);
        await keys.PressAsync("Enter");
        await Expect(page.Locator(".chat-list li:not(.sentinel)")).ToHaveCountAsync(2);
        await Expect(page.Locator(".live.on")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Searchbox, new() { Name = "Search clients" })).ToBeFocusedAsync();
        await TabAsync(page, "Shift+Tab", page.GetByRole(AriaRole.Link, new() { Name = "Skip to content" }));
        await keys.PressAsync("Enter");
        // Rows are found by the client (named after the phone), not by the last message, which the chat's own sends change.
        var second = page.Locator(".chat-list li", new() { HasText = OtherPhone }).Locator("a");
        var first = page.Locator(".chat-list li", new() { HasText = ConsoleFixture.ClientPhone }).Locator("a");
        await Expect(second).ToBeFocusedAsync();
        await AssertFocusShownAsync(page);
        await keys.PressAsync("ArrowDown");
        await Expect(first).ToBeFocusedAsync();
        await AssertFocusShownAsync(page);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Twilio.MessageAsync(TwilioForms.Sms(ConsoleFixture.ClientPhone, "First question, again"))).StatusCode);
        await Expect(page.Locator(".chat-list li").First).ToContainTextAsync("First question, again");
        await Expect(first).ToBeFocusedAsync();

        await keys.PressAsync("Enter");
        await Expect(page.Locator(".message.inbound").Last).ToContainTextAsync("First question, again");
        var composer = page.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true });
        await TabAsync(page, "Tab", composer);
        await keys.TypeAsync("It ships today.");
        await TabAsync(page, "Tab", page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }));
        await keys.PressAsync("Enter");
        await Expect(page.Locator(".message.outbound")).ToContainTextAsync("It ships today.");
        await keys.PressAsync("Escape");
        await Expect(first).ToBeFocusedAsync();
        await TabAsync(page, "Tab", page.Locator(".chat-title a"));
        await keys.PressAsync("Enter");

        await Expect(page.GetByRole(AriaRole.Form, new() { Name = "Profile" })).ToBeVisibleAsync();
        await TabAsync(page, "Tab", page.GetByRole(AriaRole.Form, new() { Name = "Profile" }).GetByRole(AriaRole.Textbox).First);
        Assert.Contains(fixture.Twilio.Accepted, s => s.AccountSid == tenant.AccountSid && s.Form["Body"] == "It ships today.");
    }

    /// <summary>Presses the key until the target has the focus (at most 25 times), checking the focus is visible at every stop.</summary>
    private static async Task TabAsync(IPage page, string key, ILocator target)
    {
        for (var i = 0; i < 25; i++)
        {
            await page.Keyboard.PressAsync(key);
            await AssertFocusShownAsync(page);
            if (await target.EvaluateAsync<bool>("el => el === document.activeElement"))
                return;
        }
        Assert.Fail($"{key} never reached {target}");
    }

    private static async Task AssertFocusShownAsync(IPage page) => Assert.Equal("", await page.EvaluateAsync<string>(FocusShown));
}
