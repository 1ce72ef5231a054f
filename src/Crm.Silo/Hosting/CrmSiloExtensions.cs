using Crm.Grains;
using Crm.Providers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
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

    /// <summary>
    /// <c>ConnectionStrings:Crm</c> for Crm's own statements (stores, group commit, migrations). Unless the string
    /// says otherwise, pooled connections are not reset when returned: nothing here leaves session state behind (no
    /// SET, temporary table or LISTEN; the migration lock has an unpooled connection of its own), and the reset was a
    /// <c>DISCARD ALL</c> per use. Crm's statements are not prepared: their tables are shared by tenants of very
    /// different sizes, and a prepared statement's generic plan is made for the average tenant (measured: the
    /// chat-list upsert's existence check then scanned the tenant's messages, 1.1 ms a call instead of 0.16).
    /// </summary>
    public static string GetCrmConnectionString(this IConfiguration configuration) => ConnectionString(configuration, prepared: false);

    /// <summary>
    /// The connection string of Orleans' ADO.NET providers (membership, grain state reads, reminders, streams): the
    /// same, with their statements prepared once they are used often (<c>Max Auto Prepare=64</c> unless set). They
    /// look rows up by grain or queue key, where the generic plan is the right one; a cold grain read cost 14-24 %
    /// less PostgreSQL CPU in paired bench runs. Set <c>Max Auto Prepare=0</c> behind a
    /// pooler in transaction mode that does not track prepared statements.
    /// </summary>
    public static string GetOrleansConnectionString(this IConfiguration configuration) => ConnectionString(configuration, prepared: true);

    /// <summary>The configured string with the defaults above added where it does not set them (in any spelling of the key).</summary>
    private static string ConnectionString(IConfiguration configuration, bool prepared)
    {
        var configured = configuration.GetConnectionString("Crm")
            ?? throw new InvalidOperationException("ConnectionStrings:Crm is not set.");
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = configured }.Keys
            .Cast<string>().Select(key => key.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();
        var builder = new NpgsqlConnectionStringBuilder(configured);
        if (!given.Contains("NORESETONCLOSE"))
            builder.NoResetOnClose = true;
        if (prepared && !given.Contains("MAXAUTOPREPARE"))
            builder.MaxAutoPrepare = 64;
        return builder.ConnectionString;
    }

    /// <summary>Grains, storage and clustering of a Crm silo on PostgreSQL.</summary>
    public static ISiloBuilder AddCrmSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = configuration.GetCrmOptions();
        silo.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.ClusterId, options.ServiceId));
        var connectionString = configuration.GetOrleansConnectionString();
        // Loopback unless told the address other nodes reach this silo at (then it listens on all interfaces).
        if (string.IsNullOrEmpty(options.AdvertisedAddress))
            silo.ConfigureEndpoints(System.Net.IPAddress.Loopback, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
        else
            silo.ConfigureEndpoints(System.Net.IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
        silo.UseAdoNetClustering(o => (o.Invariant, o.ConnectionString) = (Invariant, connectionString));
        silo.Services.AddCrmProviders(configuration);
        silo.Services.AddSingleton<ChannelRouter>();
        silo.Services.AddSingleton<IChannelSender>(sp => new MeteredChannelSender(sp.GetRequiredService<ChannelRouter>()));
        return silo.AddCrmStorage(configuration);
    }

    /// <summary>
    /// An Orleans client of a Crm cluster on PostgreSQL: finds the silos through the membership table
    /// and reads the same durable streams (the API in cluster mode, or any service subscribing to events).
    /// </summary>
    public static IClientBuilder AddCrmClient(this IClientBuilder client, IConfiguration configuration)
    {
        var options = configuration.GetCrmOptions();
        var connectionString = configuration.GetOrleansConnectionString();
        client.Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.ClusterId, options.ServiceId));
        client.UseAdoNetClustering(o => (o.Invariant, o.ConnectionString) = (Invariant, connectionString));
        client.AddCrmStreams(configuration);
        client.Services.AddDatabaseErrorSerialization();
        return client;
    }

    /// <summary>
    /// A grain's PostgreSQL error (Npgsql's <c>PostgresException</c>) reaches a caller on another node as itself: Orleans
    /// serializes exceptions of the Microsoft, System and Azure namespaces only, and answered "Could not find a codec
    /// for type Npgsql.PostgresException" instead, the database's error lost (to the dead letter of a poison message).
    /// </summary>
    private static void AddDatabaseErrorSerialization(this IServiceCollection services) =>
        services.Configure<Orleans.Serialization.ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));

    /// <summary>
    /// The services an API node in <c>Client</c> role resolves itself (the co-hosted silo provides them otherwise):
    /// the inbound gateway of the webhooks, the webhook and widget side of the channels, and the read-only stores
    /// the export uses. No channel sender and no hosted receiver run here; those belong to silos.
    /// </summary>
    public static IServiceCollection AddCrmApiClientServices(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetCrmConnectionString();
        services.AddCrmChannelEdge(configuration);
        services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddSingleton<GroupCommit>();
        services.AddStreamAppender();
        services.AddSingleton<IInboundGateway, StreamInboundGateway>();
        services.AddSingleton<IChatStore, PostgresChatStore>();
        services.AddSingleton<IAuditLog, PostgresAuditLog>();
        return services;
    }

    /// <summary>One appender serves both ways onto a stream: alone (<see cref="IStreamAppender"/>) or inside another write (<see cref="IStreamRows"/>).</summary>
    private static void AddStreamAppender(this IServiceCollection services)
    {
        services.AddSingleton<GroupCommitStreamAppender>();
        services.AddSingleton<IStreamAppender>(sp => sp.GetRequiredService<GroupCommitStreamAppender>());
        services.AddSingleton<IStreamRows>(sp => sp.GetRequiredService<GroupCommitStreamAppender>());
    }

    /// <summary>Grain state, reminders and the Crm stores, without clustering (test clusters bring their own).</summary>
    public static ISiloBuilder AddCrmStorage(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddSingleton(TimeProvider.System);
        silo.Services.AddOptionsWithValidateOnStart<RetentionOptions>()
            .Bind(configuration.GetSection(RetentionOptions.SectionName))
            .Validate(o => o.Period >= TimeSpan.FromMinutes(1) && o.BatchSize > 0, "Crm:Retention needs Period of at least 1 minute and a positive BatchSize.");
        silo.Services.AddSingleton<IInboundGateway, StreamInboundGateway>();
        silo.Services.AddDatabaseErrorSerialization();
        silo.UseSystemTextJsonGrainStorageSerializer();
        silo.Services.Configure<Orleans.Serialization.SystemTextJsonGrainStorageSerializerOptions>(o => CrmJson.Configure(o.JsonSerializerOptions));

        var connectionString = configuration.GetOrleansConnectionString();
        // Technical grains only (tenant settings, templates, retention, mailbox and Telegram offsets): entities live in
        // Crm's own tables. Their writes are rare, so Orleans' own provider writes them, each in a commit of its own.
        // Clearing a state deletes its row.
        silo.AddAdoNetGrainStorage(StorageNames.Crm, o => (o.Invariant, o.ConnectionString, o.DeleteStateOnClear) = (Invariant, connectionString, true));
        // Stream producer and consumer records are Orleans' own types, which System.Text.Json writes but cannot read
        // back (their constructors do not bind), so a restarted silo could not deliver to any stream it had seen.
        // They get Orleans' binary serializer, found by the storage name.
        silo.Services.AddKeyedSingleton<Orleans.Storage.IGrainStorageSerializer>(StorageNames.PubSub,
            (services, _) => new Orleans.Storage.OrleansGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.Serializer>()));
        silo.AddAdoNetGrainStorage(StorageNames.PubSub, o => (o.Invariant, o.ConnectionString) = (Invariant, connectionString));
        silo.UseAdoNetReminderService(o => (o.Invariant, o.ConnectionString) = (Invariant, connectionString));
        silo.AddStartupTask(StartOutboxSweepAsync);
        silo.AddCrmStreams(configuration);
        silo.Services.AddSingleton(_ => NpgsqlDataSource.Create(configuration.GetCrmConnectionString()));
        silo.Services.AddSingleton<GroupCommit>();
        silo.Services.AddStreamAppender();
        silo.Services.AddSingleton<IClientStore, PostgresClientStore>();
        silo.Services.AddSingleton<IClientIndex, PostgresClientIndex>();
        silo.Services.AddSingleton<IChatStore, PostgresChatStore>();
        silo.Services.AddSingleton<IAuditLog, PostgresAuditLog>();
        silo.Services.AddSingleton<IAttachmentStore, PostgresAttachmentStore>();
        silo.Services.AddSingleton<IRetentionStore, PostgresRetentionStore>();
        return silo;
    }

    /// <summary>
    /// Every silo starts the cluster's outbox sweep as it starts (one reminder row, written again): one that starts
    /// after a silo that held it died keeps the sweep going. A silo whose call fails starts anyway; another one's call,
    /// or the next start, registers it.
    /// </summary>
    private static async Task StartOutboxSweepAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        try
        {
            await services.GetRequiredService<IGrainFactory>().GetGrain<IOutboxSweepGrain>(0).StartAsync().WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Crm.Silo.OutboxSweep")
                .LogWarning(e, "The outbox sweep could not be started from this silo; another silo or the next start registers it");
        }
    }
}
