using Crm.Grains;
using Crm.Testing;

namespace Crm.Providers.Tests;

public sealed class TwilioWebhookParserTests
{
    [Fact]
    public void AnSmsComesFromThePhoneInE164()
    {
        var form = TwilioForms.Sms(from: "+14155550123", body: "Is my order ready?", messageSid: "SM11111111111111111111111111111111");

        var message = TwilioWebhookParser.ParseMessage("tn_1", form, out var error);

        Assert.Null(error);
        Assert.NotNull(message);
        Assert.Equal(
            ("tn_1", Transport.Sms, "twilio", "SM11111111111111111111111111111111", ContactType.Phone, "+14155550123", "Is my order ready?"),
            (message.TenantId, message.Transport, message.Provider, message.ProviderMessageId, message.ContactType, message.ContactValue, message.Text));
        Assert.Empty(message.Attachments);
        Assert.Null(message.Sender.DisplayName);
    }

    [Fact]
    public void AWhatsAppMessageCarriesTheProfileNameAndItsMedia()
    {
        var form = TwilioForms.WhatsApp("+447911123456", "Here is the receipt", "Ann Smith", "SM22222222222222222222222222222222", media:
        [
            ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME0a", "image/jpeg"),
            ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME0b", "application/pdf"),
        ]);

        var message = TwilioWebhookParser.ParseMessage("tn_1", form, out _);

        Assert.NotNull(message);
        Assert.Equal((Transport.Whatsapp, ContactType.Whatsapp, "+447911123456", "Ann Smith"), (message.Transport, message.ContactType, message.ContactValue, message.Sender.DisplayName));
        Assert.Equal(
            [("ME0a", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME0a", "image/jpeg"), ("ME0b", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME0b", "application/pdf")],
            message.Attachments.Select(a => (a.Id, a.Url, a.ContentType)));
        Assert.Equal("Ann Smith", message.Metadata["profileName"]);
    }

    [Fact]
    public void ControlCharactersInTheFormAreDroppedAndTheMessageKept()
    {
        var form = TwilioForms.WhatsApp("+447911123456", "before\0after\u0007", "Ann\u0001 Smith");

        var message = TwilioWebhookParser.ParseMessage("tn_1", form, out _);

        Assert.NotNull(message);
        Assert.Equal(("beforeafter", "Ann Smith", "Ann Smith"), (message.Text, message.Sender.DisplayName, message.Metadata["profileName"]));
    }

    [Fact]
    public void AFormIsReadAsTwilioSentItEvenWithANul()
    {
        var form = TwilioForm.Parse("Body=before%00after+%26+more&From=whatsapp%3A%2B14155550123&MediaUrl0=&Repeated=1&Repeated=2");

        Assert.NotNull(form);
        Assert.Equal("before\0after & more", form["Body"]);
        Assert.Equal("whatsapp:+14155550123", form["From"]);
        Assert.Equal("", form["MediaUrl0"]);
        Assert.Equal("1,2", form["Repeated"].ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("whatsapp:not-a-number")]
    public void ASenderThatIsNoPhoneNumberIsRejected(string from)
    {
        var form = TwilioForms.Sms(from: from, body: "hi");

        var message = TwilioWebhookParser.ParseMessage("tn_1", form, out var error);

        Assert.Null(message);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void AStatusCallbackKeepsTheErrorCodeAndOurMessageId()
    {
        var form = TwilioForms.Status("SM33333333333333333333333333333333", "undelivered", errorCode: "30003");
        var now = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var report = TwilioWebhookParser.ParseStatus("tn_1", form, "msg_42", now);

        Assert.NotNull(report);
        Assert.Equal(
            ("tn_1", Transport.Sms, "SM33333333333333333333333333333333", MessageStatus.Undelivered, "30003", "msg_42", now),
            (report.TenantId, report.Transport, report.ProviderMessageId, report.Status, report.ErrorCode, report.MessageId, report.At));
    }

    [Fact]
    public void AWhatsAppStatusCallbackIsAWhatsAppReport()
    {
        var form = TwilioForms.Status("SM44444444444444444444444444444444", "read", to: "whatsapp:+14155550123", from: "whatsapp:+14155238886");

        var report = TwilioWebhookParser.ParseStatus("tn_1", form, null, DateTimeOffset.UnixEpoch);

        Assert.Equal((Transport.Whatsapp, MessageStatus.Read, null), (report!.Transport, report.Status, report.ErrorCode));
    }

    [Theory]
    [InlineData("queued", MessageStatus.Queued)]
    [InlineData("accepted", MessageStatus.Queued)]
    [InlineData("sending", MessageStatus.Sending)]
    [InlineData("sent", MessageStatus.Sent)]
    [InlineData("delivered", MessageStatus.Delivered)]
    [InlineData("read", MessageStatus.Read)]
    [InlineData("undelivered", MessageStatus.Undelivered)]
    [InlineData("failed", MessageStatus.Failed)]
    public void TwilioStatusesLandOnOurLadder(string twilio, MessageStatus ours)
    {
        var status = TwilioWebhookParser.MapStatus(twilio);

        Assert.Equal(ours, status);
    }

    [Theory]
    [InlineData("received")]
    [InlineData("receiving")]
    [InlineData("something-new")]
    public void StatusesOfInboundOrUnknownKindsAreNoReport(string twilio)
    {
        var report = TwilioWebhookParser.ParseStatus("tn_1", TwilioForms.Status("SM5", twilio), null, DateTimeOffset.UnixEpoch);

        Assert.Null(report);
    }
}
