using Crm.Grains;
using Crm.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Crm.Providers.Tests;

public sealed class ImapReceiverTests
{
    private const string TenantId = "tn_mail";
    private readonly DovecotServer dovecot = DovecotServer.Instance;
    private readonly string user = DovecotServer.NewUser();
    private readonly RecordingGateway gateway = new();
    private readonly MemoryMarks marks = new();
    private readonly MemoryFiles files = new();

    [Fact]
    public async Task EachNewMailIsHandedToTheGatewayOnceAsAClientMessage()
    {
        await dovecot.AppendAsync(user, Mail("first@client.test", "Where is my order?", from: "Ann Lee <Ann.Lee@Client.test>"));
        await using var receiver = await StartAsync(Settings());

        await gateway.WaitForAsync(1);
        await dovecot.AppendAsync(user, Mail("second@client.test", "Any news?", inReplyTo: "first@client.test"));
        var accepted = await gateway.WaitForAsync(2);

        Assert.Equal(["first@client.test", "second@client.test"], accepted.Select(m => m.ProviderMessageId));
        var first = accepted[0];
        Assert.Equal((TenantId, Transport.Email, ContactType.Email, "ann.lee@client.test"), (first.TenantId, first.Transport, first.ContactType, first.ContactValue));
        Assert.Equal((SenderType.Email, "Ann Lee"), (first.Sender.Type, first.Sender.DisplayName));
        Assert.Equal("Where is my order?", first.Text);
        Assert.Equal("Order 42", first.Metadata[EmailThread.Subject]);
        Assert.Equal("first@client.test", first.Metadata[EmailThread.MessageId]);
        Assert.Equal("first@client.test", accepted[1].Metadata[EmailThread.InReplyTo]);
        Assert.Equal("<first@client.test>", accepted[1].Metadata[EmailThread.References]);
    }

    [Fact]
    public async Task MailAppendedWhileIdlingArrivesWithinSeconds()
    {
        await using var receiver = await StartAsync(Settings(pollSeconds: 600));
        await dovecot.AppendAsync(user, Mail("warmup@client.test", "hello"));
        await gateway.WaitForAsync(1);
        await Task.Delay(300);

        await dovecot.AppendAsync(user, Mail("live@client.test", "are you there?"));

        var accepted = await gateway.WaitForAsync(2, within: TimeSpan.FromSeconds(5));
        Assert.Equal("live@client.test", accepted[1].ProviderMessageId);
    }

    [Fact]
    public async Task PollingFindsNewMailWhenIdleIsOff()
    {
        await using var receiver = await StartAsync(Settings(useIdle: false, pollSeconds: 1));
        await Task.Delay(300);

        await dovecot.AppendAsync(user, Mail("polled@client.test", "hello"));

        var accepted = await gateway.WaitForAsync(1, within: TimeSpan.FromSeconds(5));
        Assert.Equal("polled@client.test", Assert.Single(accepted).ProviderMessageId);
    }

    [Fact]
    public async Task ARestartedReceiverDoesNotHandOverMailAgain()
    {
        await dovecot.AppendAsync(user, Mail("before@client.test", "first"));
        await using (var first = await StartAsync(Settings()))
            await gateway.WaitForAsync(1);
        var afterRestart = new RecordingGateway();

        await using var second = await StartAsync(Settings(), afterRestart);
        await dovecot.AppendAsync(user, Mail("after@client.test", "second"));

        var accepted = await afterRestart.WaitForAsync(1);
        await Task.Delay(300);
        Assert.Equal(["after@client.test"], afterRestart.Accepted.Select(m => m.ProviderMessageId));
    }

    [Fact]
    public async Task AFolderWithANewUidValidityIsReadFromTheStart()
    {
        var oldValidity = await dovecot.RecreateFolderAsync(user, "Support");
        await dovecot.AppendAsync(user, Mail("old@client.test", "in the old folder"), "Support");
        await using (var first = await StartAsync(Settings(folder: "Support")))
            await gateway.WaitForAsync(1);
        var newValidity = await dovecot.RecreateFolderAsync(user, "Support");
        var uid = await dovecot.AppendAsync(user, Mail("new@client.test", "in the new folder"), "Support");
        var afterChange = new RecordingGateway();

        await using var second = await StartAsync(Settings(folder: "Support"), afterChange);

        var accepted = await afterChange.WaitForAsync(1);
        Assert.NotEqual(oldValidity, newValidity);
        Assert.Equal(1u, uid.Id);
        Assert.Equal("new@client.test", Assert.Single(accepted).ProviderMessageId);
        Assert.Equal(new MailboxMark { UidValidity = newValidity, LastUid = 1 }, await marks.GetAsync(MailboxMark.Key(TenantId, user, "Support")));
    }

    [Fact]
    public async Task AMailTheGatewayCouldNotTakeIsHandedOverAgain()
    {
        var uid = await dovecot.AppendAsync(user, Mail("retry@client.test", "hello"));
        gateway.FailNext(1);

        await using var receiver = await StartAsync(Settings());

        var accepted = await gateway.WaitForAsync(1, within: TimeSpan.FromSeconds(10));
        Assert.Equal("retry@client.test", Assert.Single(accepted).ProviderMessageId);
        Assert.Equal(uid.Id, (await marks.GetAsync(MailboxMark.Key(TenantId, user, "INBOX"))).LastUid);
    }

    [Fact]
    public async Task AnHtmlMailWithAFileBecomesTextAndAStoredAttachment()
    {
        var body = new BodyBuilder { HtmlBody = "<html><head><style>p{color:red}</style></head><body><p>Hello <b>there</b></p><p>See the photo.</p></body></html>" };
        body.Attachments.Add("photo.jpg", new byte[] { 9, 8, 7 }, new ContentType("image", "jpeg"));
        var mail = Mail("html@client.test", "");
        mail.Body = body.ToMessageBody();
        await dovecot.AppendAsync(user, mail);

        await using var receiver = await StartAsync(Settings());

        var message = Assert.Single(await gateway.WaitForAsync(1));
        Assert.Equal("Hello there\nSee the photo.", message.Text);
        var attachment = Assert.Single(message.Attachments);
        Assert.Equal(("photo.jpg", "image/jpeg", 3L), (attachment.FileName, attachment.ContentType, attachment.Size));
        Assert.Equal([9, 8, 7], (await files.ReadAsync(TenantId, attachment.Id))!.Content);
    }

    [Fact]
    public async Task MailFromOurOwnAddressIsNotTakenForAClientsMessage()
    {
        await dovecot.AppendAsync(user, Mail("ours@acme.test", "copy of our reply", from: "Support <SUPPORT@acme.test>"));
        await dovecot.AppendAsync(user, Mail("theirs@client.test", "a client writes"));

        await using var receiver = await StartAsync(Settings());

        var accepted = await gateway.WaitForAsync(1);
        await Task.Delay(300);
        Assert.Equal(["theirs@client.test"], gateway.Accepted.Select(m => m.ProviderMessageId));
    }

    [Fact]
    public async Task TwoReceiversOfOneMailboxHandEachMailOverOnce()
    {
        var otherSilo = new RecordingGateway();
        await using var first = await StartAsync(Settings());
        await using var second = await StartAsync(Settings(), otherSilo);

        foreach (var n in Enumerable.Range(1, 3))
            await dovecot.AppendAsync(user, Mail($"m{n}@client.test", $"mail {n}"));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (gateway.Accepted.Count + otherSilo.Accepted.Count < 3 && DateTime.UtcNow < deadline)
            await Task.Delay(25);
        await Task.Delay(500);
        Assert.Equal(["m1@client.test", "m2@client.test", "m3@client.test"], gateway.Accepted.Concat(otherSilo.Accepted).Select(m => m.ProviderMessageId).Order());
    }

    private async Task<RunningReceiver> StartAsync(EmailSettings settings, RecordingGateway? to = null)
    {
        var options = new ChannelOptions { Tenants = { [TenantId] = new TenantChannels { Email = settings } } };
        var receiver = new ImapReceiver(new StaticOptions(options), to ?? gateway, marks, files, NullLogger<ImapReceiver>.Instance);
        await receiver.StartAsync(CancellationToken.None);
        return new RunningReceiver(receiver);
    }

    private EmailSettings Settings(string folder = "INBOX", bool useIdle = true, int pollSeconds = 60) => new()
    {
        From = "Acme Support <support@acme.test>",
        ImapHost = dovecot.Host,
        ImapPort = dovecot.Port,
        ImapUseTls = false,
        ImapUser = user,
        ImapPassword = DovecotServer.Password,
        ImapFolder = folder,
        ImapUseIdle = useIdle,
        ImapPollSeconds = pollSeconds,
    };

    private static MimeMessage Mail(string messageId, string text, string from = "Ann Lee <ann@client.test>", string? inReplyTo = null)
    {
        var mail = new MimeMessage { MessageId = messageId, Subject = "Order 42", Body = new TextPart("plain") { Text = text } };
        mail.From.Add(MailboxAddress.Parse(from));
        mail.To.Add(MailboxAddress.Parse("support@acme.test"));
        if (inReplyTo is not null)
        {
            mail.InReplyTo = inReplyTo;
            mail.References.Add(inReplyTo);
        }
        return mail;
    }

    private sealed class RunningReceiver(ImapReceiver receiver) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await receiver.StopAsync(CancellationToken.None);
            receiver.Dispose();
        }
    }
}
