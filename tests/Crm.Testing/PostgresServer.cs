using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Crm.Silo;
using Npgsql;

namespace Crm.Testing;

/// <summary>
/// The PostgreSQL server tests run against: <c>CRM_TEST_PG</c> when set (as <c>./crm test</c> does),
/// else a throwaway instance started with the project's own <c>deploy/local/pg.sh</c> and stopped
/// when the test process exits. Every test class gets a database of its own.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<string> Server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Creates a fresh, migrated database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(Server.Value)
        {
            Database = "crm_test_" + Guid.NewGuid().ToString("N")[..16],
            MaxPoolSize = 50,
        };
        await CrmDatabase.MigrateAsync(builder.ConnectionString);
        return builder.ConnectionString;
    }

    private static string Start()
    {
        if (Environment.GetEnvironmentVariable("CRM_TEST_PG") is { Length: > 0 } given)
            return given;

        var root = RepositoryRoot();
        var dir = Directory.CreateTempSubdirectory("crm-test-pg-").FullName;
        var port = FreePort();
        Run(Path.Combine(root, "deploy", "local", "pg.sh"), $"start {dir} {port}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Run(Path.Combine(root, "deploy", "local", "pg.sh"), $"stop {dir}");
            Directory.Delete(dir, recursive: true);
        };
        return $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
    }

    private static void Run(string script, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", $"{script} {arguments}") { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} {arguments} failed: {error}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Crm.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Crm.sln not found above " + AppContext.BaseDirectory);
    }
}
