using System.Diagnostics;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Crm.Testing;

/// <summary>
/// Debian's Dovecot on a free loopback port, one per test process, installed with apt-get when it
/// is missing (CI machines start without it). It accepts any user with <see cref="Password"/>, so
/// every test reads a mailbox of its own by taking a fresh user name.
/// </summary>
public sealed class DovecotServer
{
    public const string Password = "dovecot-test-password";

    /// <summary>
    /// Runs Dovecot for as long as the test process lives: a test host killed before its exit handlers
    /// run leaves no server and no folder behind (a server that died keeps its folder and log for a look).
    /// Arguments: test process id, dovecot, config, folder.
    /// </summary>
    private const string Watchdog = """
        owner=$1 folder=$4
        "$2" -F -c "$3" & server=$!
        finish() { kill -TERM $server 2>/dev/null; wait $server; rm -rf "$folder"; exit 0; }
        trap finish TERM INT
        while kill -0 $owner 2>/dev/null; do kill -0 $server 2>/dev/null || exit 1; sleep 0.5; done
        finish
        """;

    private static readonly Lazy<DovecotServer> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string dir;
    private readonly Process process;

    private DovecotServer(string dir, int port, Process process) => (this.dir, Port, this.process) = (dir, port, process);

    public static DovecotServer Instance => Shared.Value;

    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>A user name no other test has used, hence an empty mailbox.</summary>
    public static string NewUser() => $"desk-{Guid.NewGuid():N}@crm.test";

    /// <summary>Stores a mail in the user's folder with IMAP APPEND, as a mail server's delivery would, and returns its UID.</summary>
    public async Task<UniqueId> AppendAsync(string user, MimeMessage message, string folder = "INBOX")
    {
        using var client = await ConnectAsync(user);
        var target = folder == "INBOX" ? client.Inbox : await client.GetFolderAsync(folder);
        var uid = await target.AppendAsync(message, MessageFlags.None) ?? throw new InvalidOperationException("Dovecot returned no UID for APPEND.");
        await client.DisconnectAsync(true);
        return uid;
    }

    /// <summary>Deletes the folder (when it exists) and creates it anew, which gives it a new UIDVALIDITY; returns that.</summary>
    public async Task<uint> RecreateFolderAsync(string user, string folder)
    {
        using var client = await ConnectAsync(user);
        var root = client.GetFolder(client.PersonalNamespaces[0]);
        var existing = (await root.GetSubfoldersAsync()).FirstOrDefault(f => f.Name == folder);
        if (existing is not null)
            await existing.DeleteAsync();
        var created = await root.CreateAsync(folder, isMessageFolder: true) ?? throw new InvalidOperationException($"Could not create {folder}.");
        await created.OpenAsync(FolderAccess.ReadOnly);
        var validity = created.UidValidity;
        await client.DisconnectAsync(true);
        return validity;
    }

    public async Task<ImapClient> ConnectAsync(string user)
    {
        var client = new ImapClient();
        await client.ConnectAsync(Host, Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, Password);
        return client;
    }

    private static DovecotServer Start()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The mail tests run Debian's Dovecot.");
        EnsureInstalled();
        var dir = Directory.CreateTempSubdirectory("crm-test-dovecot-").FullName;
        var mail = Path.Combine(dir, "mail");
        Directory.CreateDirectory(mail);
        // Dovecot's login and mail processes run as its own users and need to reach these folders.
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(mail, (UnixFileMode)0b111_111_111);

        var port = PostgresServer.FreePort();
        var config = Path.Combine(dir, "dovecot.conf");
        File.WriteAllText(config, $$"""
            protocols = imap
            listen = 127.0.0.1
            base_dir = {{dir}}/run
            state_dir = {{dir}}/state
            log_path = {{dir}}/dovecot.log
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            mail_location = maildir:{{mail}}/%u
            first_valid_uid = 100
            passdb {
              driver = static
              args = password={{Password}}
            }
            userdb {
              driver = static
              args = uid=dovecot gid=dovecot home={{mail}}/%u
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{port}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            service stats {
              unix_listener stats-reader {
                mode = 0666
              }
              unix_listener stats-writer {
                mode = 0666
              }
            }
            """);

        var process = Process.Start(new ProcessStartInfo("bash", ["-c", Watchdog, "watchdog", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), Which("dovecot")!, config, dir]))!;
        var server = new DovecotServer(dir, port, process);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        server.WaitUntilListening();
        return server;
    }

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"Dovecot exited with {process.ExitCode}: {Log()}");
            try
            {
                using var tcp = new TcpClient();
                tcp.Connect(Host, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new TimeoutException($"Dovecot did not listen on {Port} within 20 s. {Log()}");
    }

    private string Log()
    {
        var log = Path.Combine(dir, "dovecot.log");
        return File.Exists(log) ? File.ReadAllText(log) : "";
    }

    private void Stop()
    {
        if (!process.HasExited)
            Run("kill", $"-TERM {process.Id}", check: false);
        process.WaitForExit(5000);
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void EnsureInstalled()
    {
        if (Which("dovecot") is not null)
            return;
        // Test assemblies run side by side; one installs while the others wait for it.
        using var installing = HoldLock(Path.Combine(Path.GetTempPath(), "crm-test-dovecot-install.lock"));
        if (Which("dovecot") is not null)
            return;
        const string install = "-o DPkg::Lock::Timeout=300 install -y --no-install-recommends dovecot-imapd";
        if (Run("apt-get", install, check: false) != 0)
        {
            Run("apt-get", "-o DPkg::Lock::Timeout=300 update", check: true);
            Run("apt-get", install, check: true);
        }
    }

    private static FileStream HoldLock(string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(500);
            }
        }
    }

    private static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin")
            .Where(d => d.Length > 0).Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static int Run(string program, string arguments, bool check)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {arguments} failed ({process.ExitCode}): {error} {output.Result}");
        return process.ExitCode;
    }
}
