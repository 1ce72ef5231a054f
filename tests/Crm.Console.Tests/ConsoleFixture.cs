using System.Net;
using System.Net.Http.Json;
using Crm.Api.Tests;
using Crm.Providers;
using Crm.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Crm.Console.Tests;

/// <summary>The API on a real loopback port (a browser cannot reach the in-memory test server).</summary>
public sealed class ConsoleHost : CrmApiFactory
{
    public ConsoleHost(string connectionString) : base(connectionString) =>
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));

    public string BaseUrl => Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
}

/// <summary>A tenant whose admin signs in with a password, with its own Twilio account on the fake.</summary>
public sealed record ConsoleTenant(Tenant Tenant, string AdminEmail, string AccountSid, TwilioDriver Twilio);

/// <summary>One API host, one Twilio fake and one headless Chromium (Debian's, never a downloaded one) for all console tests.</summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string Password = "console test password";
    public const string SmsFrom = "+15005550006";
    public const string Chromium = "/usr/bin/chromium";
    public const string ClientPhone = "+14155550123";

    private IPlaywright playwright = null!;

    public ConsoleHost Host { get; private set; } = null!;

    public FakeTwilio Twilio { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: `apt-get install -y chromium` (./crm test does this).");
        Twilio = await FakeTwilio.StartAsync();
        Host = new ConsoleHost(await PostgresServer.CreateDatabaseAsync());
        Host.StartServer();
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        playwright.Dispose();
        await Host.DisposeAsync();
        await Twilio.DisposeAsync();
    }

    public async Task<ConsoleTenant> CreateTenantAsync()
    {
        var email = $"admin{Guid.NewGuid():N}@example.com";
        using var system = Host.ClientWithKey(CrmApiFactory.SystemKey);
        var response = await system.PostAsJsonAsync("/api/v1/tenants", new { name = "Acme", adminEmail = email, adminPassword = Password });
        response.EnsureSuccessStatusCode();
        var body = await response.BodyAsync();
        var tenant = new Tenant(body.Str("tenantId"), body.Str("adminUserId"), body.Str("apiKey"), Host.ClientWithKey(body.Str("apiKey")));
        var accountSid = "AC" + Guid.NewGuid().ToString("N");
        var token = "token-" + Guid.NewGuid().ToString("N");
        Host.ConfigureChannels(tenant.Id, c => c.Twilio = new TwilioSettings { AccountSid = accountSid, AuthToken = token, SmsFrom = SmsFrom, BaseUrl = Twilio.BaseUrl.ToString() });
        return new ConsoleTenant(tenant, email, accountSid, new TwilioDriver(Host, tenant.Id, token));
    }

    /// <summary>A user of the tenant invited with an email and <see cref="Password"/>.</summary>
    public async Task<string> InviteAsync(Tenant tenant, string role)
    {
        var email = $"{role}{Guid.NewGuid():N}@example.com";
        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = $"A {role}", role, email, password = Password });
        response.EnsureSuccessStatusCode();
        return email;
    }

    /// <summary>A fresh browser context (own cookies) at the desktop size the console is designed for, or another.</summary>
    public async Task<IPage> PageAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = Host.BaseUrl, ViewportSize = new() { Width = width, Height = height } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>A fresh browser signed in as that person, with the live event stream connected.</summary>
    public async Task<IPage> SignInAsync(string email, int width = 1280, int height = 800)
    {
        var page = await PageAsync(width, height);
        await page.GotoAsync("/");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".live.on")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>A client who wrote by SMS from that phone; the chat row of the signed-in admin's inbox shows it.</summary>
    public static async Task<ILocator> ClientWritesAsync(ConsoleTenant tenant, IPage page, string phone, string text)
    {
        Assert.Equal(HttpStatusCode.OK, (await tenant.Twilio.MessageAsync(TwilioForms.Sms(phone, text))).StatusCode);
        var row = page.Locator(".chat-list li", new() { HasText = text });
        await Assertions.Expect(row).ToBeVisibleAsync();
        return row;
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
