using Crm.Grains;
using Crm.Providers.Meta;
using Crm.Providers.Website;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.Providers;

public static class ProviderServices
{
    /// <summary>The channel adapters and the router that picks among them; the IMAP receiver, which needs the grains and the inbound gateway.</summary>
    public static IServiceCollection AddCrmProviders(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ChannelOptions>(configuration.GetSection(ChannelOptions.SectionName));
        services.AddHttpClient();
        services.TryAddSingleton(TimeProvider.System);
        // The router takes the first adapter that serves a transport. Meta goes first: a tenant with both a Cloud API
        // number and a Twilio WhatsApp sender sends WhatsApp through the Cloud API (see README, WhatsApp precedence).
        services.AddSingleton<ITransportAdapter, MetaAdapter>();
        services.AddSingleton<ITransportAdapter, WebsiteAdapter>();
        services.AddSingleton<WidgetSessions>();
        services.AddSingleton<IChannelSender, ChannelRouter>();

        // Provider URLs carry credentials (Telegram's token is in the path): the factory's request logging stays off.
        services.AddHttpClient(TwilioAdapter.HttpClientName).RemoveAllLoggers();
        services.AddSingleton<ITransportAdapter, TwilioAdapter>();
        services.AddHttpClient(TelegramAdapter.HttpClientName).RemoveAllLoggers();
        services.AddSingleton<ITransportAdapter, TelegramAdapter>();
        services.AddHostedService<TelegramPollingService>();

        services.TryAddSingleton<IEmailFiles, GrainEmailFiles>();
        services.TryAddSingleton<IMailboxMarks, GrainMailboxMarks>();
        services.AddSingleton<ITransportAdapter, EmailAdapter>();
        services.AddHostedService<ImapReceiver>();
        return services;
    }
}
