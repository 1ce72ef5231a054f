using System.Diagnostics;
using System.Net.Http.Headers;
using Crm.Testing;

namespace Crm.Api.Tests;

/// <summary>
/// Crm.Api (with its co-hosted silo, or as a client of a cluster) or Crm.Silo.Host as a real operating-system
/// process, so a test can kill it with SIGKILL the way a crash would and start it again on the same database.
/// </summary>
public sealed class CrmProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private CrmProcess(Process process, string baseUrl, int siloPort) => (_process, BaseUrl, SiloPort) = (process, baseUrl, siloPort);

    public string BaseUrl { get; }

    /// <summary>The port of its silo (of the co-hosted one for Crm.Api): how Orleans' silo addresses name this process.</summary>
    public int SiloPort { get; }

    /// <summary>The last lines the process wrote (warnings and errors), for a failing test to show.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output)
                return string.Join('\n', _output);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > KeptLines)
                _output.Dequeue();
        }
    }

    public static Task<CrmProcess> StartAsync(string connectionString, string clusterId, IReadOnlyDictionary<string, string> environment)
    {
        var baseUrl = $"http://127.0.0.1:{PostgresServer.FreePort()}";
        return LaunchAsync("Crm.Api", ["--urls", baseUrl], baseUrl, baseUrl, connectionString, clusterId, environment);
    }

    /// <summary>A Crm.Silo.Host process (no public API: <see cref="BaseUrl"/> is its health endpoint), ready once it is an active member.</summary>
    public static Task<CrmProcess> StartSiloAsync(string connectionString, string clusterId, IReadOnlyDictionary<string, string> environment)
    {
        var healthPort = PostgresServer.FreePort();
        var healthUrl = $"http://127.0.0.1:{healthPort}";
        var withHealth = new Dictionary<string, string>(environment) { ["Crm__HealthPort"] = healthPort.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        return LaunchAsync("Crm.Silo.Host", [], healthUrl, healthUrl, connectionString, clusterId, withHealth);
    }

    private static async Task<CrmProcess> LaunchAsync(
        string project, string[] arguments, string baseUrl, string readyUrl, string connectionString, string clusterId, IReadOnlyDictionary<string, string> environment)
    {
        var assembly = AssemblyOf(project);
        var info = new ProcessStartInfo("dotnet", [assembly, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        info.Environment["ConnectionStrings__Crm"] = connectionString;
        info.Environment["CRM_SYSTEM_KEY"] = CrmApiFactory.SystemKey;
        info.Environment["Crm__ClusterId"] = clusterId;
        var siloPort = PostgresServer.FreePort();
        info.Environment["Crm__SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Crm__GatewayPort"] = PostgresServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Crm__Channels__PublicBaseUrl"] = baseUrl;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        var process = Process.Start(info)!;
        var crm = new CrmProcess(process, baseUrl, siloPort);
        process.OutputDataReceived += (_, e) => crm.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => crm.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = new Uri(readyUrl) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{project} exited with {process.ExitCode} while starting:\n{crm.RecentOutput}");
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                    return crm;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                await crm.DisposeAsync();
                throw new TimeoutException($"{project} did not become ready in 90 s:\n{crm.RecentOutput}");
            }
            await Task.Delay(200);
        }
    }

    public HttpClient Client(string? key = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        if (key is not null)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>SIGKILL: no shutdown hooks, no graceful stop of the silo, nothing flushed.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The build of <paramref name="project"/> (Crm.Api, Crm.Silo.Host) of the same configuration as this test assembly.</summary>
    private static string AssemblyOf(string project)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(PostgresServer.RepositoryRoot(), "src", project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} first.", path);
    }
}
