using Crm.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Crm.Silo;

public static class CrmSiloExtensions
{
    private const string Invariant = "Npgsql";

    public static CrmOptions GetCrmOptions(this IConfiguration configuration)
    {
        var options = configuration.GetSection(CrmOptions.SectionName).Get<CrmOptions>() ?? new CrmOptions();
        options.SystemKey ??= configuration["CRM_SYSTEM_KEY"];
        return options;
    }

    public static string GetCrmConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString("Crm")
        ?? throw new InvalidOperationException("ConnectionStrings:Crm is not set (or run with Crm:Storage=Memory).");

    /// <summary>Grains, storage and clustering of a Crm silo, on PostgreSQL or, for tests and demos, in memory.</summary>
    public static ISiloBuilder AddCrmSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = configuration.GetCrmOptions();
        silo.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.ClusterId, options.ServiceId));
        if (options.Storage == StorageMode.Memory)
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
        }
        else
        {
            var connectionString = configuration.GetCrmConnectionString();
            silo.ConfigureEndpoints(System.Net.IPAddress.Loopback, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
            silo.UseAdoNetClustering(o => (o.Invariant, o.ConnectionString) = (Invariant, connectionString));
        }
        return silo.AddCrmStorage(configuration);
    }

    /// <summary>Grain state, reminders and the Crm stores, without clustering (test clusters bring their own).</summary>
    public static ISiloBuilder AddCrmStorage(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddSingleton(TimeProvider.System);
        silo.UseSystemTextJsonGrainStorageSerializer();
        silo.Services.Configure<Orleans.Serialization.SystemTextJsonGrainStorageSerializerOptions>(o => CrmJson.Configure(o.JsonSerializerOptions));

        if (configuration.GetCrmOptions().Storage == StorageMode.Memory)
        {
            silo.AddMemoryGrainStorage(StorageNames.Crm);
            silo.AddMemoryGrainStorage(StorageNames.PubSub);
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton<MemoryClientIndex>();
            silo.Services.AddSingleton<IClientIndex>(sp => sp.GetRequiredService<MemoryClientIndex>());
            silo.Services.AddSingleton<IChatStore, MemoryChatStore>();
            silo.Services.AddSingleton<IAuditLog, MemoryAuditLog>();
            silo.Services.AddSingleton<IAttachmentStore, MemoryAttachmentStore>();
            return silo;
        }

        var connectionString = configuration.GetCrmConnectionString();
        silo.AddAdoNetGrainStorage(StorageNames.Crm, o => (o.Invariant, o.ConnectionString) = (Invariant, connectionString));
        silo.AddAdoNetGrainStorage(StorageNames.PubSub, o => (o.Invariant, o.ConnectionString) = (Invariant, connectionString));
        silo.UseAdoNetReminderService(o => (o.Invariant, o.ConnectionString) = (Invariant, connectionString));
        silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        silo.Services.AddSingleton<IClientIndex, PostgresClientIndex>();
        silo.Services.AddSingleton<IChatStore, PostgresChatStore>();
        silo.Services.AddSingleton<IAuditLog, PostgresAuditLog>();
        silo.Services.AddSingleton<IAttachmentStore, PostgresAttachmentStore>();
        return silo;
    }
}
