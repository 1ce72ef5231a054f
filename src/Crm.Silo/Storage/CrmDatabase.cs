using DbUp;
using Npgsql;

namespace Crm.Silo;

/// <summary>Applies the SQL files of <c>deploy/migrations</c> in order; each runs once, so applying twice is harmless.</summary>
public static class CrmDatabase
{
    private const string ResourcePrefix = "Crm.Migrations.";
    private const long MigrationLockId = 0x43524d; // any constant shared by every process that migrates

    public static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        EnsureDatabase.For.PostgresqlDatabase(connectionString, new DbUp.Engine.Output.NoOpUpgradeLog());

        // Silos starting together must not apply the same script twice.
        await using var lockConnection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await lockConnection.OpenAsync(cancellationToken);
        await using (var take = new NpgsqlCommand($"select pg_advisory_lock({MigrationLockId})", lockConnection))
            await take.ExecuteNonQueryAsync(cancellationToken);
        try
        {
            Upgrade(connectionString);
        }
        finally
        {
            await using var release = new NpgsqlCommand($"select pg_advisory_unlock({MigrationLockId})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static void Upgrade(string connectionString)
    {
        var upgrade = DeployChanges.To.PostgresqlDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(typeof(CrmDatabase).Assembly, name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .WithTransactionPerScript()
            .WithVariablesDisabled()
            .LogToNowhere()
            .Build()
            .PerformUpgrade();
        if (!upgrade.Successful)
            throw new InvalidOperationException($"Migration {upgrade.ErrorScript?.Name} failed: {upgrade.Error.Message}", upgrade.Error);
    }
}
