using System.Text;
using Crm.Grains;
using Crm.Providers.Meta;
using Crm.Testing;

namespace Crm.Providers.Tests.Meta;

public sealed class MetaNotificationTests
{
    private const string Tenant = "tn_1";
    private const string PhoneNumberId = "106540352242922";
    private const string IgAccountId = "17841400000000001";
    private static readonly MetaSettings Settings = new() { AppSecret = "s", WhatsAppPhoneNumberId = PhoneNumberId, InstagramAccountId = IgAccountId };

    private static MetaNotification Parse(string body, MetaSettings? settings = null) =>
        MetaNotification.Parse(Tenant, settings ?? Settings, Encoding.UTF8.GetBytes(body))!;

    [Fact]
    public void AWhatsAppTextBecomesAMessageFromTheSendersE164Number()
    {
        var body = MetaWebhookBodies.WhatsAppText(PhoneNumberId, "447700900123", "Olivia Smith", "wamid.HBgLNDQ3NzAwOTAwMTIzFQIAEhggQjE=", "Is my order shipped?", 1_760_000_000);

        var message = Assert.Single(Parse(body).Messages);

        Assert.Equal(Tenant, message.TenantId);
        Assert.Equal((Transport.Whatsapp, "meta", "wamid.HBgLNDQ3NzAwOTAwMTIzFQIAEhggQjE="), (message.Transport, message.Provider, message.ProviderMessageId));
        Assert.Equal((ContactType.Whatsapp, "+447700900123"), (message.ContactType, message.ContactValue));
        Assert.Equal((SenderType.Whatsapp, "Olivia Smith", "+447700900123"), (message.Sender.Type, message.Sender.DisplayName, message.Sender.Address));
        Assert.Equal("Is my order shipped?", message.Text);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_760_000_000), message.ProviderTimestamp);
        Assert.Empty(message.Attachments);
    }

    [Fact]
    public void ControlCharactersAreDroppedAndTheMessageKept()
    {
        var body = MetaWebhookBodies.WhatsAppDocument(PhoneNumberId, "447700900123", "wamid.NUL1", "998877", "in\0voice.pdf")
            .Replace("Doc Sender", "Doc\\u0000 Sender", StringComparison.Ordinal);

        var message = Assert.Single(Parse(body).Messages);

        Assert.Equal(("Doc Sender", "invoice.pdf"), (message.Sender.DisplayName, Assert.Single(message.Attachments).FileName));
    }

    [Fact]
    public void AWhatsAppImageCarriesItsMediaIdAndCaption()
    {
        var body = MetaWebhookBodies.WhatsAppImage(PhoneNumberId, "14155550123", "Ann", "wamid.IMG1", "1234567890123456", "the broken part");

        var message = Assert.Single(Parse(body).Messages);

        Assert.Equal("the broken part", message.Text);
        var attachment = Assert.Single(message.Attachments);
        Assert.Equal(("1234567890123456", "image/jpeg"), (attachment.Id, attachment.ContentType));
    }

    [Fact]
    public void AWhatsAppDocumentKeepsItsFileName()
    {
        var body = MetaWebhookBodies.WhatsAppDocument(PhoneNumberId, "14155550123", "wamid.DOC1", "998877", "invoice-42.pdf");

        var attachment = Assert.Single(Assert.Single(Parse(body).Messages).Attachments);

        Assert.Equal(("998877", "invoice-42.pdf", "application/pdf"), (attachment.Id, attachment.FileName, attachment.ContentType));
    }

    [Theory]
    [InlineData("sent", MessageStatus.Sent)]
    [InlineData("delivered", MessageStatus.Delivered)]
    [InlineData("read", MessageStatus.Read)]
    public void WhatsAppStatusesBecomeStatusReports(string status, MessageStatus expected)
    {
        var body = MetaWebhookBodies.WhatsAppStatus(PhoneNumberId, "wamid.OUT1", status, "14155550123", 1_760_000_300, callbackData: "msg_0199");

        var notification = Parse(body);

        Assert.Empty(notification.Messages);
        var report = Assert.Single(notification.Statuses);
        Assert.Equal((Tenant, Transport.Whatsapp, "wamid.OUT1", expected, "msg_0199"), (report.TenantId, report.Transport, report.ProviderMessageId, report.Status, report.MessageId));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_760_000_300), report.At);
        Assert.Null(report.ErrorCode);
    }

    [Fact]
    public void AFailedWhatsAppStatusKeepsMetasErrorCode()
    {
        var body = MetaWebhookBodies.WhatsAppStatus(PhoneNumberId, "wamid.OUT2", "failed", "14155550123", errorCode: 131026);

        var report = Assert.Single(Parse(body).Statuses);

        Assert.Equal((MessageStatus.Failed, "131026"), (report.Status, report.ErrorCode));
    }

    [Fact]
    public void AnInstagramMessageComesFromThePrefixedInstagramScopedId()
    {
        var body = MetaWebhookBodies.InstagramMessage(IgAccountId, "6543219876543210", "aWdfZAG1MTIz", "Do you ship to Canada?", timestampMs: 1_760_000_000_123);

        var message = Assert.Single(Parse(body).Messages);

        Assert.Equal((Transport.Instagram, "aWdfZAG1MTIz"), (message.Transport, message.ProviderMessageId));
        Assert.Equal((ContactType.Other, "instagram:6543219876543210"), (message.ContactType, message.ContactValue));
        Assert.Equal((SenderType.Instagram, "6543219876543210"), (message.Sender.Type, message.Sender.Address));
        Assert.Equal("Do you ship to Canada?", message.Text);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_760_000_000_123), message.ProviderTimestamp);
    }

    [Fact]
    public void AnInstagramEchoOfOurOwnSendIsSkipped()
    {
        var body = MetaWebhookBodies.InstagramMessage(IgAccountId, "6543219876543210", "aWdfZAG1ECHO", "Yes, we do.", isEcho: true);

        var notification = Parse(body);

        Assert.Empty(notification.Messages);
        Assert.Empty(notification.Statuses);
    }

    [Fact]
    public void EntriesForAnotherTenantsNumberOrAccountAreIgnored()
    {
        var whatsApp = MetaWebhookBodies.WhatsAppText("999999999999999", "14155550123", "Ann", "wamid.X", "hi");
        var instagram = MetaWebhookBodies.InstagramMessage("17841499999999999", "6543219876543210", "aWdfX", "hi");

        Assert.Empty(Parse(whatsApp).Messages);
        Assert.Empty(Parse(instagram).Messages);
        Assert.Empty(Parse(MetaWebhookBodies.WhatsAppText(PhoneNumberId, "14155550123", "Ann", "wamid.Y", "hi"), new MetaSettings { AppSecret = "s" }).Messages);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"object\":\"whatsapp_business_account\",\"entry\":\"nope\"}")]
    public void ABodyThatIsNotAMetaNotificationIsRefused(string body)
    {
        Assert.Null(MetaNotification.Parse(Tenant, Settings, Encoding.UTF8.GetBytes(body)));
    }
}
