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
        return services;
    }
}
