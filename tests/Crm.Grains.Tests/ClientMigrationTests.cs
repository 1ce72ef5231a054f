using Crm.Silo;
using Crm.Testing;
using DbUp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.TestingHost;

namespace Crm.Grains.Tests;

/// <summary>
/// Migration 0018 on a database that a deployment before it wrote: clients and contact owners in Orleans grain state
/// and the clients_index projection. After it, the grains read every client from its row and nothing is left behind.
/// </summary>
public sealed class ClientMigrationTests(ClientMigrationTests.LegacyDatabase legacy) : IClassFixture<ClientMigrationTests.LegacyDatabase>
{
    private const string Tenant = "tn_legacy";
    private static readonly DateTimeOffset At = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1230);

    private IGrainFactory Grains => legacy.Cluster.Client;

    private static readonly ClientProfile Ann = new()
    {
        Id = "cl_legacyann",
        FirstName = "Ann",
        LastName = "Lee",
        Gender = Gender.Female,
        DateOfBirth = new DateOnly(1990, 2, 3),
        Phone = "+442079460958",
        Email = "ann@example.com",
        Address = "1 Main St",
        PassportNumber = "X1234567",
        TaxPin = "PIN-42",
        Comment = "VIP",
        Contacts =
        [
            new Contact { Id = "ct_ann1", Type = ContactType.Phone, Value = "+14155550123", CreatedAt = At, UpdatedAt = At },
            new Contact { Id = "ct_ann2", Type = ContactType.Email, Value = "ann.lee@example.com", CreatedAt = At.AddSeconds(1), UpdatedAt = At.AddSeconds(1) },
        ],
        Consent = ClientRules.OrderConsent(new Dictionary<Transport, ConsentRecord>
        {
            [Transport.Sms] = new() { OptedIn = false, Source = "keyword", At = At },
            [Transport.Email] = new() { OptedIn = true, Source = "api", At = At, ByUserId = "us_1" },
        }),
        CreatedAt = At,
        UpdatedAt = At.AddMinutes(1),
    };

    private static readonly ClientProfile Bob = new()
    {
        Id = "cl_legacybob",
        FirstName = "Bob",
        Contacts = [new Contact { Id = "ct_bob1", Type = ContactType.Telegram, Value = "bob_b", CreatedAt = At, UpdatedAt = At }],
        CreatedAt = At,
        UpdatedAt = At,
        DeletedAt = At.AddHours(1),
    };

    /// <summary>Lists a value whose claim is gone (its release was written, its removal from the profile was not).</summary>
    private static readonly ClientProfile Cleo = new()
    {
        Id = "cl_legacycleo",
        FirstName = "Cleo",
        Contacts = [new Contact { Id = "ct_cleo1", Type = ContactType.Phone, Value = "+14155550124", CreatedAt = At, UpdatedAt = At }],
        CreatedAt = At,
        UpdatedAt = At,
    };

    [Fact]
    public async Task EveryClientReadsAsItsGrainStateHeldIt()
    {
        foreach (var legacy in new[] { Ann, Bob })
        {
            var profile = await Grains.GetGrain<IClientGrain>(Ids.Key(Tenant, legacy.Id)).GetAsync();

            Assert.Equal(CrmJson.Write(legacy), CrmJson.Write(profile));
        }
    }

    [Fact]
    public async Task AValueBelongsToTheClientWhereTheClaimAndTheProfileAgree()
    {
        async Task<string?> OwnerAsync(ContactType type, string value) =>
            await Grains.GetGrain<IContactGrain>(ContactRules.GrainKey(Tenant, type, value)).GetOwnerAsync();

        Assert.Equal(Ann.Id, await OwnerAsync(ContactType.Phone, "+14155550123"));
        Assert.Equal(Ann.Id, await OwnerAsync(ContactType.Email, "ann.lee@example.com"));
        Assert.Equal(Bob.Id, await OwnerAsync(ContactType.Telegram, "bob_b"));
        Assert.Null(await OwnerAsync(ContactType.Phone, "+14155550124"));
        Assert.Null(await OwnerAsync(ContactType.Phone, "+14155550125"));
        Assert.Empty((await Grains.GetGrain<IClientGrain>(Ids.Key(Tenant, Cleo.Id)).GetAsync())!.Contacts);
    }

    [Fact]
    public async Task SearchFindsTheMigratedClients()
    {
        var query = Grains.GetGrain<ITenantQueryGrain>(Tenant);

        Assert.Equal([Ann.Id], (await query.SearchClientsAsync("+1 415 555 0123", 10, null)).Items.Select(c => c.Id));
        Assert.Equal([Ann.Id, "cl_legacycleo", "cl_legacydora"], (await query.SearchClientsAsync(null, 10, null)).Items.Select(c => c.Id));
        Assert.Empty((await query.SearchClientsAsync("bob", 10, null)).Items);
    }

    [Fact]
    public async Task NoClientOrContactStateIsLeftInOrleansStorage()
    {
        Assert.Equal(0L, await legacy.ScalarAsync("select count(*) from OrleansStorage where GrainTypeString in ('client', 'contact')"));
        Assert.Equal(0L, await legacy.ScalarAsync("select count(*) from pg_class where relname = 'clients_index'"));
    }

    /// <summary>The database as a deployment before 0018 left it, migrated, and a cluster on it.</summary>
    public sealed class LegacyDatabase : IAsyncLifetime
    {
        private string _db = "";

        public InProcessTestCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _db = new NpgsqlConnectionStringBuilder(await PostgresServer.CreateDatabaseAsync()) { Database = "crm_test_" + Guid.NewGuid().ToString("N")[..16] }.ConnectionString;
            EnsureDatabase.For.PostgresqlDatabase(_db, new DbUp.Engine.Output.NoOpUpgradeLog());
            var before = DeployChanges.To.PostgresqlDatabase(_db)
                .WithScriptsEmbeddedInAssembly(typeof(CrmDatabase).Assembly, name => name.StartsWith("Crm.Migrations.", StringComparison.Ordinal)
                    && string.CompareOrdinal(name, "Crm.Migrations.0018") < 0)
                .WithTransactionPerScript().WithVariablesDisabled().LogToNowhere().Build().PerformUpgrade();
            Assert.True(before.Successful, before.Error?.Message);

            await LegacyStateAsync("client", Ids.Key(Tenant, Ann.Id), new { profile = Ann });
            await LegacyStateAsync("client", Ids.Key(Tenant, Bob.Id), new { profile = Bob });
            await LegacyStateAsync("client", Ids.Key(Tenant, Cleo.Id), new { profile = Cleo });
            foreach (var (contact, owner) in Ann.Contacts.Select(c => (c, Ann.Id)).Append((Bob.Contacts[0], Bob.Id)))
                await LegacyStateAsync("contact", ContactRules.GrainKey(Tenant, contact.Type, contact.Value), new { ownerClientId = owner, claimedAt = At, ownerExists = false });
            // A claim whose client was never written (the old path claimed first).
            await LegacyStateAsync("contact", ContactRules.GrainKey(Tenant, ContactType.Phone, "+14155550125"), new { ownerClientId = "cl_neverwritten", claimedAt = At, ownerExists = false });
            foreach (var profile in new[] { Ann, Bob, Cleo })
                await LegacyIndexAsync(profile);
            // A projection row without grain state: none is written that way, but it is kept all the same.
            await LegacyIndexAsync(new ClientProfile { Id = "cl_legacydora", FirstName = "Dora", CreatedAt = At, UpdatedAt = At });

            await CrmDatabase.MigrateAsync(_db);

            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Crm"] = _db }).Build();
            var builder = new InProcessTestClusterBuilder(1);
            builder.ConfigureSilo((_, silo) =>
            {
                silo.AddCrmStorage(configuration);
                silo.Services.AddSingleton<IChannelSender>(new FakeChannelSender());
            });
            Cluster = builder.Build();
            await Cluster.DeployAsync();
        }

        public async Task DisposeAsync()
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }

        private async Task LegacyStateAsync(string type, string key, object state)
        {
            await using var connection = new NpgsqlConnection(_db);
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                insert into OrleansStorage (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString, ServiceId, PayloadBinary, Version)
                values (0, 0, 0, 0, $1, $2, 'legacy', $3, 1)
                """, connection);
            insert.Parameters.Add(new() { Value = type });
            insert.Parameters.Add(new() { Value = key });
            insert.Parameters.Add(new() { Value = System.Text.Encoding.UTF8.GetBytes(CrmJson.Write(state)) });
            await insert.ExecuteNonQueryAsync();
        }

        private async Task LegacyIndexAsync(ClientProfile profile)
        {
            await using var connection = new NpgsqlConnection(_db);
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                insert into clients_index (tenant_id, client_id, first_name, last_name, search_text, doc, created_at, updated_at, deleted_at)
                values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)
                """, connection);
            foreach (var value in new object?[] { Tenant, profile.Id, profile.FirstName, profile.LastName, ClientRules.SearchText(profile), CrmJson.Write(profile), profile.CreatedAt, profile.UpdatedAt, profile.DeletedAt })
                insert.Parameters.Add(new() { Value = value ?? DBNull.Value });
            await insert.ExecuteNonQueryAsync();
        }

        public async Task<long> ScalarAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(_db);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
