using Crm.Grains;
using Crm.Providers.Meta;
using Crm.Providers.Website;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Crm.Providers;

public static class ProviderServices
{
    /// <summary>
    /// What the webhooks and the website widget need on an API node: tenant channel settings (signature secrets,
    /// site keys), the clock and widget sessions. No sender and no background receiver: those run on silos.
    /// </summary>
    public static IServiceCollection AddCrmChannelEdge(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ChannelOptions>(configuration.GetSection(ChannelOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WidgetSessions>();
        services.AddHostedService<ChannelSecretWarnings>();
        return services;
    }

    /// <summary>
    /// Everything a silo needs: the channel edge, the adapters and the router that picks among them, and the
    /// background receivers (Telegram polling, IMAP), which need the grains and the inbound gateway.
    /// </summary>
    public static IServiceCollection AddCrmProviders(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddCrmChannelEdge(configuration);
        services.AddHttpClient();
        // The router takes the first adapter that serves a transport. Meta goes first: a tenant with both a Cloud API
        // number and a Twilio WhatsApp sender sends WhatsApp through the Cloud API (see README, WhatsApp precedence).
        services.AddSingleton<ITransportAdapter, MetaAdapter>();
        services.AddSingleton<ITransportAdapter, WebsiteAdapter>();
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
