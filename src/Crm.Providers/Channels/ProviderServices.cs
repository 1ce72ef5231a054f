using Crm.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Providers;

public static class ProviderServices
{
    /// <summary>The channel adapters and the router that picks among them.</summary>
    public static IServiceCollection AddCrmProviders(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<ChannelOptions>(configuration.GetSection(ChannelOptions.SectionName));
        services.AddHttpClient();
        services.AddSingleton<IChannelSender, ChannelRouter>();

        // Provider URLs carry credentials (Telegram's token is in the path): the factory's request logging stays off.
        services.AddHttpClient(TwilioAdapter.HttpClientName).RemoveAllLoggers();
        services.AddSingleton<ITransportAdapter, TwilioAdapter>();
        services.AddHttpClient(TelegramAdapter.HttpClientName).RemoveAllLoggers();
        services.AddSingleton<ITransportAdapter, TelegramAdapter>();
        services.AddHostedService<TelegramPollingService>();
        return services;
    }
}
