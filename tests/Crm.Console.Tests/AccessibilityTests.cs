using System.Net.Http.Json;
using System.Text;
using Crm.Api.Tests;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Crm.Console.Tests;

/// <summary>
/// axe-core on every page of the console, at the desktop size and at a phone's width: nothing it rates
/// serious or critical (missing names and labels, contrast, roles, landmarks) may be left.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class AccessibilityTests(ConsoleFixture fixture)
{
    private static readonly string[] Blocking = ["serious", "critical"];

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task EveryPageHasNoSeriousOrCriticalViolations(int width, int height)
    {
        var tenant = await fixture.CreateTenantAsync();
        await tenant.Tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Shipped", text = "Your order has shipped." });
        var found = new StringBuilder();
        var signIn = await fixture.PageAsync(width, height);
        await signIn.GotoAsync("/");
        await Expect(signIn.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Crm" })).ToBeVisibleAsync();
        await AuditAsync(signIn, "sign-in", found);
        var page = await fixture.SignInAsync(tenant.AdminEmail, width, height);
        await ConsoleFixture.ClientWritesAsync(tenant, page, ConsoleFixture.ClientPhone, "Is my order ready?");
        var chat = (await tenant.Tenant.Admin.GetOkAsync("/api/v1/chats")).GetProperty("items")[0];
        var chatId = chat.Str("id");
        var clientId = chat.Str("clientId");

        await AuditAsync(page, "inbox", found);
        await page.GotoAsync($"/#/chats/{chatId}");
        await Expect(page.Locator(".message.inbound")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true }).FillAsync("/");
        await Expect(page.GetByRole(AriaRole.Listbox, new() { Name = "Templates" })).ToBeVisibleAsync();
        await AuditAsync(page, "chat", found);
        await page.GotoAsync($"/#/clients/{clientId}");
        await Expect(page.GetByRole(AriaRole.Form, new() { Name = "Profile" })).ToBeVisibleAsync();
        await AuditAsync(page, "client profile", found);
        await page.GotoAsync("/#/clients/new");
        await AuditAsync(page, "new client", found);
        await page.GotoAsync("/#/account");
        await AuditAsync(page, "account", found);
        foreach (var tab in new[] { "users", "templates", "channels", "retention" })
        {
            await page.GotoAsync($"/#/admin/{tab}");
            await Expect(page.Locator(".admin-body")).Not.ToBeEmptyAsync();
            await AuditAsync(page, $"admin {tab}", found);
        }

        Assert.True(found.Length == 0, $"axe at {width}×{height}:\n{found}");
    }

    /// <summary>Runs axe once the page has stopped loading and writes what it finds, one line per rule and element.</summary>
    private static async Task AuditAsync(IPage page, string name, StringBuilder found)
    {
        await Expect(page.Locator(".status.busy")).ToHaveCountAsync(0);
        var result = await page.RunAxe();
        foreach (var violation in result.Violations.Where(v => Blocking.Contains(v.Impact)))
        {
            found.AppendLine($"[{name}] {violation.Impact} {violation.Id}: {violation.Help} ({violation.HelpUrl})");
            foreach (var node in violation.Nodes)
                found.AppendLine($"    {node.Target} {node.Html}\n      {string.Join(" ", node.Any.Concat(node.All).Concat(node.None).Select(c => c.Message))}");
        }
    }
}
