using Crm.Grains;
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
        services.AddSingleton<IChannelSender, ChannelRouter>();

        services.TryAddSingleton<IEmailFiles, GrainEmailFiles>();
        services.TryAddSingleton<IMailboxMarks, GrainMailboxMarks>();
        services.AddSingleton<ITransportAdapter, EmailAdapter>();
        services.AddHostedService<ImapReceiver>();
        return services;
    }
}
