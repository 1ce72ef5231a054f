using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Crm.Testing;

/// <summary>
/// A real SMTP server (SmtpServer) in this process on a free loopback port. It keeps every mail
/// it accepts; set <see cref="Answer"/> to make it refuse mail with a reply code of your choosing.
/// </summary>
public sealed class FakeSmtpServer : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer server;
    private readonly Task running;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<MimeMessage> received = new();

    public FakeSmtpServer()
    {
        Port = PostgresServer.FreePort();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("smtp.crm.test")
            .Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port)))
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        server = new SmtpServer.SmtpServer(options, services);
        running = server.StartAsync(stop.Token);
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>The reply to the end of DATA; null accepts the mail (250).</summary>
    public SmtpResponse? Answer { get; set; }

    public IReadOnlyList<MimeMessage> Received => [.. received];

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }
        stop.Dispose();
    }

    private sealed class Store(FakeSmtpServer owner) : MessageStore
    {
        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (owner.Answer is { } refusal)
                return Task.FromResult(refusal);
            using var stream = new MemoryStream(buffer.ToArray());
            owner.received.Enqueue(MimeMessage.Load(stream, cancellationToken));
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
