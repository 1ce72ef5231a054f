using System.Text.Json;
using Crm.Grains;
using Crm.Providers;
using Crm.Testing;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Crm.Api.Tests;

/// <summary>The email channel through the whole API: Dovecot on loopback delivers the client's mail, SmtpServer takes our replies.</summary>
[Collection(ApiCollection.Name)]
public sealed class EmailChannelTests(ApiFixture fixture) : IAsyncLifetime
{
    private readonly DovecotServer dovecot = DovecotServer.Instance;
    private readonly string desk = DovecotServer.NewUser();
    private readonly FakeSmtpServer smtp = new();

    private CrmApiFactory Factory => fixture.Factory;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await smtp.DisposeAsync();

    [Fact]
    public async Task AMailToTheDeskBecomesAClientWithAChatAndTheMessage()
    {
        var tenant = await TenantWithMailAsync();

        var uid = await dovecot.AppendAsync(desk, Mail("q1@client.test", "Where is my order?"));

        var client = await ClientByEmailAsync(tenant, "ann@client.test");
        Assert.Equal(("Ann", "Lee"), (client.Str("firstName"), client.Str("lastName")));
        var message = Assert.Single(await WaitForMessagesAsync(tenant, client.Str("id"), 1));
        Assert.Equal(("inbound", "email", "Where is my order?"), (message.Str("direction"), message.Str("transport"), message.Str("text")));
        var mark = await Factory.Services.GetRequiredService<IGrainFactory>()
            .GetGrain<IMailboxGrain>(MailboxMark.Key(tenant.Id, desk, "INBOX")).GetMarkAsync();
        Assert.Equal(uid.Id, mark.LastUid);
    }

    [Fact]
    public async Task TheSameMailDeliveredTwiceIsStoredOnce()
    {
        var tenant = await TenantWithMailAsync();

        await dovecot.AppendAsync(desk, Mail("dup@client.test", "Hello"));
        await dovecot.AppendAsync(desk, Mail("dup@client.test", "Hello"));
        await dovecot.AppendAsync(desk, Mail("next@client.test", "Hello again"));

        var client = await ClientByEmailAsync(tenant, "ann@client.test");
        var messages = await WaitForMessagesAsync(tenant, client.Str("id"), 2);
        await Task.Delay(500);
        Assert.Equal(["Hello", "Hello again"], (await tenant.Admin.MessagesAsync(Ids.ChatIdOf(client.Str("id")))).Select(m => m.Str("text")));
        Assert.Single(await tenant.Admin.AllClientsAsync());
        Assert.Equal(2, messages.Count);
    }

    [Fact]
    public async Task AnAgentsReplyArrivesAtTheClientThreadedToTheirMail()
    {
        var tenant = await TenantWithMailAsync();
        await dovecot.AppendAsync(desk, Mail("q1@client.test", "Where is my order?", references: "q0@client.test"));
        var client = await ClientByEmailAsync(tenant, "ann@client.test");
        var chatId = Ids.ChatIdOf(client.Str("id"));
        await WaitForMessagesAsync(tenant, client.Str("id"), 1);

        await tenant.Admin.SendOkAsync(chatId, "It ships tomorrow.");

        var mail = await WaitForMailAsync();
        Assert.Equal("ann@client.test", Assert.Single(mail.To.Mailboxes).Address);
        Assert.Equal("support@acme.test", Assert.Single(mail.From.Mailboxes).Address);
        Assert.Equal("Re: Order 42", mail.Subject);
        Assert.Equal("It ships tomorrow.", mail.TextBody?.Trim());
        Assert.Equal("q1@client.test", mail.InReplyTo);
        Assert.Equal(["q0@client.test", "q1@client.test"], mail.References);
        Assert.EndsWith("@acme.test", mail.MessageId, StringComparison.Ordinal);
        var sent = await WaitForStatusAsync(tenant, chatId, seq: 2, "sent");
        Assert.Equal(mail.MessageId, sent.Str("providerMessageId"));
    }

    [Fact]
    public async Task AFileTheClientAttachedCanBeDownloadedFromTheirMessage()
    {
        var tenant = await TenantWithMailAsync();
        var mail = Mail("file@client.test", "Photo of the damage attached.");
        var body = new BodyBuilder { TextBody = "Photo of the damage attached." };
        body.Attachments.Add("damage.jpg", new byte[] { 1, 2, 3, 5, 8 }, new ContentType("image", "jpeg"));
        mail.Body = body.ToMessageBody();

        await dovecot.AppendAsync(desk, mail);

        var client = await ClientByEmailAsync(tenant, "ann@client.test");
        var attachment = Assert.Single(Assert.Single(await WaitForMessagesAsync(tenant, client.Str("id"), 1)).GetProperty("attachments").EnumerateArray());
        Assert.Equal("damage.jpg", attachment.Str("fileName"));
        var download = await tenant.Admin.GetAsync($"/api/v1/attachments/{attachment.Str("id")}");
        Assert.Equal([1, 2, 3, 5, 8], await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg", download.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AFileTheAgentAttachesArrivesWithTheReply()
    {
        var tenant = await TenantWithMailAsync();
        await dovecot.AppendAsync(desk, Mail("q1@client.test", "Can I have the invoice?"));
        var client = await ClientByEmailAsync(tenant, "ann@client.test");
        var chatId = Ids.ChatIdOf(client.Str("id"));
        using var form = new MultipartFormDataContent { { new ByteArrayContent([37, 80, 68, 70]) { Headers = { ContentType = new("application/pdf") } }, "file", "invoice.pdf" } };
        var upload = await (await tenant.Admin.PostAsync("/api/v1/attachments", form)).BodyAsync();

        var response = await tenant.Admin.SendAsync(chatId, new { text = "Here it is.", attachments = new[] { upload.Str("id") } });

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var part = Assert.IsType<MimePart>(Assert.Single((await WaitForMailAsync()).Attachments));
        using var content = new MemoryStream();
        await part.Content!.DecodeToAsync(content);
        Assert.Equal(("invoice.pdf", "application/pdf"), (part.FileName, part.ContentType.MimeType));
        Assert.Equal([37, 80, 68, 70], content.ToArray());
    }

    private async Task<Tenant> TenantWithMailAsync()
    {
        var tenant = await Factory.CreateTenantAsync();
        Factory.ConfigureChannels(tenant.Id, channels => channels.Email = new EmailSettings
        {
            From = "Acme Support <support@acme.test>",
            SmtpHost = smtp.Host,
            SmtpPort = smtp.Port,
            SmtpUseTls = false,
            ImapHost = dovecot.Host,
            ImapPort = dovecot.Port,
            ImapUseTls = false,
            ImapUser = desk,
            ImapPassword = DovecotServer.Password,
        });
        return tenant;
    }

    private static MimeMessage Mail(string messageId, string text, string? references = null)
    {
        var mail = new MimeMessage { MessageId = messageId, Subject = "Order 42", Body = new TextPart("plain") { Text = text } };
        mail.From.Add(new MailboxAddress("Ann Lee", "Ann@Client.test"));
        mail.To.Add(new MailboxAddress("Acme Support", "support@acme.test"));
        if (references is not null)
        {
            mail.InReplyTo = references;
            mail.References.Add(references);
        }
        return mail;
    }

    private static async Task<JsonElement> ClientByEmailAsync(Tenant tenant, string email) =>
        await Eventually(async () => (await tenant.Admin.AllClientsAsync(email)).SingleOrDefault(), c => c.ValueKind != JsonValueKind.Undefined, $"a client {email}");

    private static async Task<IReadOnlyList<JsonElement>> WaitForMessagesAsync(Tenant tenant, string clientId, int count) =>
        await Eventually(async () => (await tenant.Admin.GetAsync($"/api/v1/chats/{Ids.ChatIdOf(clientId)}/messages?limit=200")) is { IsSuccessStatusCode: true } response
            ? (await response.BodyAsync()).Items() : [], m => m.Count >= count, $"{count} messages");

    private static async Task<JsonElement> WaitForStatusAsync(Tenant tenant, string chatId, long seq, string status) =>
        await Eventually(async () => (await tenant.Admin.MessagesAsync(chatId)).SingleOrDefault(m => m.GetProperty("seq").GetInt64() == seq),
            m => m.ValueKind != JsonValueKind.Undefined && m.Str("status") == status, $"message {seq} {status}");

    private async Task<MimeMessage> WaitForMailAsync() =>
        (await Eventually(() => Task.FromResult(smtp.Received), r => r.Count > 0, "a mail at the SMTP server"))[0];

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            Assert.True(DateTime.UtcNow < deadline, $"Waited 20 s for {what}.");
            await Task.Delay(100);
        }
    }
}
