using Crm.Grains;
using Crm.Providers.Meta;
using Crm.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Crm.Providers.Tests.Meta;

public sealed class MetaAdapterTests : IAsyncLifetime
{
    private const string PhoneNumberId = "106540352242922";
    private const string IgAccountId = "17841400000000001";
    private const string AccessToken = "EAAG-test-access-token";
    private FakeGraphApi graph = null!;

    public async Task InitializeAsync() => graph = await FakeGraphApi.StartAsync();

    public async Task DisposeAsync() => await graph.DisposeAsync();

    private TenantChannels Channels(string? baseUrl = null) => new()
    {
        Meta = new MetaSettings
        {
            AppSecret = "s", VerifyToken = "v", AccessToken = AccessToken, WhatsAppPhoneNumberId = PhoneNumberId, InstagramAccountId = IgAccountId,
            GraphBaseUrl = baseUrl ?? graph.BaseUrl, GraphVersion = "v21.0",
        },
    };

    private static MetaAdapter Adapter() =>
        new(new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>(), NullLogger<MetaAdapter>.Instance);

    private static OutboundEnvelope WhatsApp(string text = "Your order shipped today.") =>
        new() { TenantId = "tn_1", MessageId = "msg_0199abc", Transport = Transport.Whatsapp, To = "+14155550123", Text = text };

    [Fact]
    public async Task AWhatsAppReplyReachesTheGraphApiWithTheRightPathTokenAndBody()
    {
        var outcome = await Adapter().SendAsync(WhatsApp(), Channels(), CancellationToken.None);

        var request = Assert.Single(graph.Requests);
        Assert.Equal($"/v21.0/{PhoneNumberId}/messages", request.Path);
        Assert.Equal($"Bearer {AccessToken}", request.Authorization);
        Assert.Equal("whatsapp", request.Body.GetProperty("messaging_product").GetString());
        Assert.Equal("14155550123", request.Body.GetProperty("to").GetString());
        Assert.Equal("text", request.Body.GetProperty("type").GetString());
        Assert.Equal("Your order shipped today.", request.Body.GetProperty("text").GetProperty("body").GetString());
        Assert.Equal("msg_0199abc", request.Body.GetProperty("biz_opaque_callback_data").GetString());
        Assert.Equal((SendOutcomeKind.Sent, request.MessageId), (outcome.Kind, outcome.ProviderMessageId));
        Assert.StartsWith("wamid.", outcome.ProviderMessageId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWhatsAppImageWithAPublicUrlIsSentAsAnImageWithTheTextAsCaption()
    {
        var envelope = WhatsApp("Here is the label") with
        {
            Attachments = [new AttachmentRef { Id = "at_1", ContentType = "image/png", Url = "https://files.example/label.png" }],
        };

        var outcome = await Adapter().SendAsync(envelope, Channels(), CancellationToken.None);

        var body = Assert.Single(graph.Requests).Body;
        Assert.Equal("image", body.GetProperty("type").GetString());
        Assert.Equal("https://files.example/label.png", body.GetProperty("image").GetProperty("link").GetString());
        Assert.Equal("Here is the label", body.GetProperty("image").GetProperty("caption").GetString());
        Assert.Equal(SendOutcomeKind.Sent, outcome.Kind);
    }

    [Fact]
    public async Task AnInstagramReplyGoesToTheAccountsMessagesEdgeAddressedToTheUser()
    {
        var envelope = new OutboundEnvelope { TenantId = "tn_1", MessageId = "msg_2", Transport = Transport.Instagram, To = "instagram:6543219876543210", Text = "Yes, we ship to Canada." };

        var outcome = await Adapter().SendAsync(envelope, Channels(), CancellationToken.None);

        var request = Assert.Single(graph.Requests);
        Assert.Equal($"/v21.0/{IgAccountId}/messages", request.Path);
        Assert.Equal($"Bearer {AccessToken}", request.Authorization);
        Assert.Equal("6543219876543210", request.Body.GetProperty("recipient").GetProperty("id").GetString());
        Assert.Equal("Yes, we ship to Canada.", request.Body.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal((SendOutcomeKind.Sent, MessageStatus.Sent, request.MessageId), (outcome.Kind, outcome.Status, outcome.ProviderMessageId));
    }

    [Fact]
    public async Task ATooManyRequestsAnswerIsRetriedAfterTheTimeMetaAsks()
    {
        graph.AnswerError(429, 130429, "Rate limit hit", retryAfterSeconds: 7);

        var outcome = await Adapter().SendAsync(WhatsApp(), Channels(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Retry, "130429", TimeSpan.FromSeconds(7)), (outcome.Kind, outcome.ErrorCode, outcome.RetryAfter));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task AServerErrorIsRetried(int status)
    {
        graph.Answer(status, "<html>oops</html>");

        var outcome = await Adapter().SendAsync(WhatsApp(), Channels(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Retry, $"http_{status}"), (outcome.Kind, outcome.ErrorCode));
    }

    [Fact]
    public async Task AnUnreachableGraphApiIsRetried()
    {
        var closedPort = PostgresServer.FreePort();

        var outcome = await Adapter().SendAsync(WhatsApp(), Channels($"http://127.0.0.1:{closedPort}"), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Retry, "network"), (outcome.Kind, outcome.ErrorCode));
    }

    [Fact]
    public async Task AnUndeliverableMessageFailsAtOnceWithMetasCode()
    {
        graph.AnswerError(400, 131026, "Message undeliverable");

        var outcome = await Adapter().SendAsync(WhatsApp(), Channels(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, MessageStatus.Failed, "131026"), (outcome.Kind, outcome.Status, outcome.ErrorCode));
        Assert.Equal("Message undeliverable", outcome.ErrorMessage);
    }

    [Fact]
    public async Task AnExpiredAccessTokenFailsWithItsCode()
    {
        graph.AnswerError(401, 190, "Error validating access token: Session has expired");

        var outcome = await Adapter().SendAsync(WhatsApp(), Channels(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, "190"), (outcome.Kind, outcome.ErrorCode));
    }

    [Fact]
    public async Task AMessageWithAnAttachmentItCannotSendFailsWithoutCallingMeta()
    {
        var envelope = WhatsApp() with { Attachments = [new AttachmentRef { Id = "at_1" }] };

        var outcome = await Adapter().SendAsync(envelope, Channels(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, "attachment_not_supported"), (outcome.Kind, outcome.ErrorCode));
        Assert.Empty(graph.Requests);
    }

    [Fact]
    public void ItServesWhatsAppAndInstagramOnlyWhereTheirIdsAreConfigured()
    {
        var adapter = Adapter();
        var whatsAppOnly = new TenantChannels { Meta = new MetaSettings { WhatsAppPhoneNumberId = PhoneNumberId } };

        Assert.True(adapter.Serves(Transport.Whatsapp, whatsAppOnly));
        Assert.False(adapter.Serves(Transport.Instagram, whatsAppOnly));
        Assert.False(adapter.Serves(Transport.Sms, Channels()));
        Assert.False(adapter.Serves(Transport.Whatsapp, new TenantChannels()));
    }

    [Fact]
    public async Task WhatsAppGoesThroughTheCloudApiWhenATwilioSenderIsAlsoConfigured()
    {
        var channels = Channels();
        channels.Twilio = new TwilioSettings { AccountSid = "AC00000000000000000000000000000000", AuthToken = "t", WhatsAppFrom = "whatsapp:+14155550000", BaseUrl = "http://127.0.0.1:9" };
        var configuration = new ConfigurationBuilder().Build();
        using var services = new ServiceCollection().AddLogging().AddCrmProviders(configuration)
            .Configure<ChannelOptions>(o => o.Tenants["tn_1"] = channels)
            .BuildServiceProvider();

        var outcome = await services.GetRequiredService<IChannelSender>().SendAsync(WhatsApp(), CancellationToken.None);

        Assert.Equal(SendOutcomeKind.Sent, outcome.Kind);
        Assert.Single(graph.Requests);
    }
}
