namespace Crm.Api;

/// <summary>Provider webhooks: authenticity is checked on the raw request first; a provider gets 2xx only once what it sent is durable.</summary>
public static class WebhookEndpoints
{
    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapTwilioWebhooks();
        app.MapTelegramWebhooks();
        app.MapMetaWebhooks();
        app.MapWidgetEndpoints();
    }
}
