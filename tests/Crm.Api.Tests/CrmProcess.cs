using System.Diagnostics;
using System.Net.Http.Headers;
using Crm.Testing;

namespace Crm.Api.Tests;

/// <summary>
/// Crm.Api as a real operating-system process (the co-hosted silo included), so a test can kill it
/// with SIGKILL the way a crash would and start it again on the same database.
/// </summary>
public sealed class CrmProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private CrmProcess(Process process, string baseUrl) => (_process, BaseUrl) = (process, baseUrl);

    public string BaseUrl { get; }

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

    public static async Task<CrmProcess> StartAsync(string connectionString, string clusterId, IReadOnlyDictionary<string, string> environment)
    {
        var port = PostgresServer.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet", [ApiAssembly(), "--urls", baseUrl])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(ApiAssembly())!,
        };
        info.Environment["ConnectionStrings__Crm"] = connectionString;
        info.Environment["CRM_SYSTEM_KEY"] = CrmApiFactory.SystemKey;
        info.Environment["Crm__ClusterId"] = clusterId;
        info.Environment["Crm__SiloPort"] = PostgresServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Crm__GatewayPort"] = PostgresServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["Crm__Channels__PublicBaseUrl"] = baseUrl;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        var process = Process.Start(info)!;
        var crm = new CrmProcess(process, baseUrl);
        process.OutputDataReceived += (_, e) => crm.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => crm.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"Crm.Api exited with {process.ExitCode} while starting.");
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
                throw new TimeoutException("Crm.Api did not become ready in 90 s.");
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

    /// <summary>The Crm.Api build of the same configuration as this test assembly (Debug or Release).</summary>
    private static string ApiAssembly()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(PostgresServer.RepositoryRoot(), "src", "Crm.Api", "bin", configuration, "net10.0", "Crm.Api.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build Crm.Api first.", path);
    }
}
