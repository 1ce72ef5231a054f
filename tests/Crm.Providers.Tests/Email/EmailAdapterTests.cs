using Crm.Grains;
using Crm.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using SmtpServer.Protocol;

namespace Crm.Providers.Tests;

public sealed class EmailAdapterTests : IAsyncLifetime
{
    private readonly FakeSmtpServer smtp = new();
    private readonly MemoryFiles files = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await smtp.DisposeAsync();

    [Fact]
    public async Task AReplyArrivesThreadedToTheClientsMailUnderOurOwnMessageId()
    {
        var envelope = Envelope("Your order ships tomorrow.") with
        {
            Thread = new Dictionary<string, string>
            {
                [EmailThread.MessageId] = "question-2@client.test",
                [EmailThread.Subject] = "Order 42",
                [EmailThread.References] = "<question-1@client.test>",
            },
        };

        var outcome = await Adapter().SendAsync(envelope, Channels(), CancellationToken.None);

        var mail = Assert.Single(smtp.Received);
        Assert.Equal(SendOutcomeKind.Sent, outcome.Kind);
        Assert.Equal(mail.MessageId, outcome.ProviderMessageId);
        Assert.EndsWith("@acme.test", mail.MessageId, StringComparison.Ordinal);
        Assert.Equal("question-2@client.test", mail.InReplyTo);
        Assert.Equal(["question-1@client.test", "question-2@client.test"], mail.References);
        Assert.Equal("support@acme.test", Assert.Single(mail.From.Mailboxes).Address);
        Assert.Equal("Acme Support", mail.From.Mailboxes.Single().Name);
        Assert.Equal("ann@client.test", Assert.Single(mail.To.Mailboxes).Address);
        Assert.Equal("Re: Order 42", mail.Subject);
        Assert.Equal("Your order ships tomorrow.", mail.TextBody?.Trim());
        Assert.Equal(mail.MessageId, outcome.Thread[EmailThread.MessageId]);
        Assert.Equal("<question-1@client.test> <question-2@client.test>", outcome.Thread[EmailThread.References]);
    }

    [Fact]
    public async Task AFirstMailHasTheDefaultSubjectAndNoThreadHeaders()
    {
        var outcome = await Adapter().SendAsync(Envelope("Welcome!"), Channels(), CancellationToken.None);

        var mail = Assert.Single(smtp.Received);
        Assert.Equal(SendOutcomeKind.Sent, outcome.Kind);
        Assert.Equal("Message from Acme Support", mail.Subject);
        Assert.Null(mail.InReplyTo);
        Assert.Empty(mail.References);
    }

    [Fact]
    public async Task ARetryOfTheSameMessageKeepsItsMessageId()
    {
        var envelope = Envelope("Hello");

        var first = await Adapter().SendAsync(envelope, Channels(), CancellationToken.None);
        var again = await Adapter().SendAsync(envelope with { Attempt = 1 }, Channels(), CancellationToken.None);

        Assert.Equal(first.ProviderMessageId, again.ProviderMessageId);
        Assert.Equal(2, smtp.Received.Select(m => m.MessageId).Where(id => id == first.ProviderMessageId).Count());
    }

    [Fact]
    public async Task AttachedFilesTravelWithTheMail()
    {
        var file = await files.SaveAsync("tn_1", "invoice.pdf", "application/pdf", [1, 2, 3, 4]);

        var outcome = await Adapter().SendAsync(Envelope("Your invoice") with { Attachments = [file!] }, Channels(), CancellationToken.None);

        var part = Assert.IsType<MimePart>(Assert.Single(Assert.Single(smtp.Received).Attachments));
        using var content = new MemoryStream();
        await part.Content!.DecodeToAsync(content);
        Assert.Equal(SendOutcomeKind.Sent, outcome.Kind);
        Assert.Equal(("invoice.pdf", "application/pdf"), (part.FileName, part.ContentType.MimeType));
        Assert.Equal([1, 2, 3, 4], content.ToArray());
    }

    [Fact]
    public async Task ATemporarySmtpRefusalIsRetriedWithItsCode()
    {
        smtp.Answer = new SmtpResponse((SmtpReplyCode)451, "Greylisted, try again later");

        var outcome = await Adapter().SendAsync(Envelope("Hello"), Channels(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Retry, "451"), (outcome.Kind, outcome.ErrorCode));
        Assert.Empty(smtp.Received);
    }

    [Fact]
    public async Task APermanentSmtpRefusalFailsWithItsCode()
    {
        smtp.Answer = new SmtpResponse((SmtpReplyCode)550, "No such user here");

        var outcome = await Adapter().SendAsync(Envelope("Hello"), Channels(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, "550", MessageStatus.Failed), (outcome.Kind, outcome.ErrorCode, outcome.Status));
        Assert.Empty(smtp.Received);
    }

    [Fact]
    public async Task AnUnreachableServerIsRetried()
    {
        var channels = Channels();
        channels.Email!.SmtpPort = PostgresServer.FreePort();

        var outcome = await Adapter().SendAsync(Envelope("Hello"), channels, CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Retry, "smtp_unavailable"), (outcome.Kind, outcome.ErrorCode));
    }

    [Fact]
    public async Task AClientAddressThatIsNoAddressFailsWithoutRetry()
    {
        var outcome = await Adapter().SendAsync(Envelope("Hello") with { To = "not an address" }, Channels(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, "invalid_address"), (outcome.Kind, outcome.ErrorCode));
        Assert.Empty(smtp.Received);
    }

    [Fact]
    public void OnlyTenantsWithAnSmtpHostAreServed()
    {
        var adapter = Adapter();

        Assert.True(adapter.Serves(Transport.Email, Channels()));
        Assert.False(adapter.Serves(Transport.Sms, Channels()));
        Assert.False(adapter.Serves(Transport.Email, new TenantChannels { Email = new EmailSettings { ImapHost = "imap.acme.test" } }));
    }

    private EmailAdapter Adapter() => new(files, NullLogger<EmailAdapter>.Instance);

    private TenantChannels Channels() => new()
    {
        Email = new EmailSettings { From = "Acme Support <support@acme.test>", SmtpHost = smtp.Host, SmtpPort = smtp.Port, SmtpUseTls = false, SmtpTimeoutSeconds = 5 },
    };

    private static OutboundEnvelope Envelope(string text) => new()
    {
        TenantId = "tn_1",
        ChatId = "ch_1",
        ClientId = "cl_1",
        MessageId = Ids.New("ms"),
        Transport = Transport.Email,
        To = "ann@client.test",
        Text = text,
    };
}
