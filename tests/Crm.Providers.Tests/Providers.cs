using Crm.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Providers.Tests;

/// <summary>The provider services as the host registers them, configured from settings like the real configuration.</summary>
public sealed class Providers : IDisposable
{
    public const string PublicBaseUrl = "https://crm.example.com";
    private readonly ServiceProvider services;

    public Providers(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create<string, string?>("Crm:Channels:" + s.Key, s.Value)).Append(KeyValuePair.Create<string, string?>("Crm:Channels:PublicBaseUrl", PublicBaseUrl)))
            .Build();
        services = new ServiceCollection().AddCrmProviders(configuration).BuildServiceProvider();
    }

    public IChannelSender Sender => services.GetRequiredService<IChannelSender>();

    public IHttpClientFactory Http => services.GetRequiredService<IHttpClientFactory>();

    public void Dispose() => services.Dispose();
}
