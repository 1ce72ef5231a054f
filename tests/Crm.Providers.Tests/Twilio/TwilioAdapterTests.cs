using Crm.Grains;
using Crm.Testing;

namespace Crm.Providers.Tests;

public sealed class TwilioAdapterTests : IAsyncLifetime
{
    private const string Token = "twilio-auth-token-0123";
    private FakeTwilio twilio = null!;

    public async Task InitializeAsync() => twilio = await FakeTwilio.StartAsync();

    public async Task DisposeAsync() => await twilio.DisposeAsync();

    private Providers Configured(string baseUrl, params (string Key, string Value)[] extra) => new(
        [("Tenants:tn_1:Twilio:AccountSid", TwilioForms.AccountSid), ("Tenants:tn_1:Twilio:AuthToken", Token), ("Tenants:tn_1:Twilio:BaseUrl", baseUrl), .. extra]);

    private Providers Configured(params (string Key, string Value)[] extra) => Configured(twilio.BaseUrl.ToString(), extra);

    private static OutboundEnvelope Envelope(Transport transport = Transport.Sms, string text = "Your order is ready") => new()
    {
        TenantId = "tn_1",
        ChatId = "cl_1",
        ClientId = "cl_1",
        MessageId = "msg_" + Guid.NewGuid().ToString("N")[..8],
        Seq = 3,
        Transport = transport,
        To = "+14155550123",
        Text = text,
        Attachments = [new AttachmentRef { Id = "at_1", Url = "https://files.example.com/at_1.jpg" }, new AttachmentRef { Id = "at_2" }],
    };

    [Fact]
    public async Task AnSmsReachesTwilioWithToFromBodyAndAStatusCallbackForOurMessage()
    {
        using var providers = Configured(("Tenants:tn_1:Twilio:SmsFrom", "+15005550006"));
        var envelope = Envelope();

        var outcome = await providers.Sender.SendAsync(envelope, CancellationToken.None);

        var request = Assert.Single(twilio.Sends);
        Assert.Equal((SendOutcomeKind.Sent, request.Sid, MessageStatus.Sending), (outcome.Kind, outcome.ProviderMessageId, outcome.Status));
        Assert.Equal((TwilioForms.AccountSid, TwilioForms.AccountSid, Token), (request.AccountSid, request.BasicUser, request.BasicPassword));
        Assert.Equal("+14155550123", request.Form["To"]);
        Assert.Equal("+15005550006", request.Form["From"]);
        Assert.Equal("Your order is ready", request.Form["Body"]);
        Assert.Equal($"https://crm.example.com/webhooks/twilio/tn_1/status?messageId={envelope.MessageId}", request.Form["StatusCallback"]);
        Assert.Equal("https://files.example.com/at_1.jpg", request.Form["MediaUrl"]);
    }

    [Fact]
    public async Task WhatsAppNumbersAreSentWithTheWhatsAppPrefix()
    {
        using var providers = Configured(("Tenants:tn_1:Twilio:WhatsAppFrom", "+14155238886"));

        var outcome = await providers.Sender.SendAsync(Envelope(Transport.Whatsapp), CancellationToken.None);

        var request = Assert.Single(twilio.Sends);
        Assert.Equal(SendOutcomeKind.Sent, outcome.Kind);
        Assert.Equal(("whatsapp:+14155550123", "whatsapp:+14155238886"), (request.Form["To"], request.Form["From"]));
    }

    [Fact]
    public async Task AMessagingServiceSendsInsteadOfANumberWhenConfigured()
    {
        using var providers = Configured(("Tenants:tn_1:Twilio:MessagingServiceSid", "MG0123456789abcdef0123456789abcdef"));

        await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        var request = Assert.Single(twilio.Sends);
        Assert.Equal("MG0123456789abcdef0123456789abcdef", request.Form["MessagingServiceSid"]);
        Assert.False(request.Form.ContainsKey("From"));
    }

    [Fact]
    public async Task WhatsAppIsNotServedWithoutAWhatsAppNumber()
    {
        using var providers = Configured(("Tenants:tn_1:Twilio:SmsFrom", "+15005550006"));

        var outcome = await providers.Sender.SendAsync(Envelope(Transport.Whatsapp), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, "channel_not_configured"), (outcome.Kind, outcome.ErrorCode));
        Assert.Empty(twilio.Sends);
    }

    [Theory]
    [InlineData(429, 20429, "20429")]
    [InlineData(500, 20500, "20500")]
    [InlineData(503, 0, "503")]
    [InlineData(400, 30003, "30003")]
    public async Task RateLimitsServerErrorsAndUnreachableHandsetsAreRetried(int status, int code, string expectedCode)
    {
        using var providers = Configured(("Tenants:tn_1:Twilio:SmsFrom", "+15005550006"));
        twilio.FailNext(status, code);

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Retry, expectedCode), (outcome.Kind, outcome.ErrorCode));
    }

    [Theory]
    [InlineData(400, 21610)]
    [InlineData(400, 21211)]
    [InlineData(400, 30006)]
    [InlineData(401, 20003)]
    public async Task OptedOutInvalidNumbersAndOtherClientErrorsFailWithTheCode(int status, int code)
    {
        using var providers = Configured(("Tenants:tn_1:Twilio:SmsFrom", "+15005550006"));
        twilio.FailNext(status, code, "scripted");

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, MessageStatus.Failed, code.ToString(System.Globalization.CultureInfo.InvariantCulture)), (outcome.Kind, outcome.Status, outcome.ErrorCode));
    }

    [Fact]
    public async Task AnUnreachableTwilioIsRetried()
    {
        using var providers = Configured($"http://127.0.0.1:{PostgresServer.FreePort()}", ("Tenants:tn_1:Twilio:SmsFrom", "+15005550006"));

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Retry, "connection"), (outcome.Kind, outcome.ErrorCode));
    }
}
