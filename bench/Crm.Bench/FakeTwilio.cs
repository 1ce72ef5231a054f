using System.Net;
using System.Text;

namespace Crm.Bench;

/// <summary>Twilio's Messages API as far as our adapter needs it: every create answers 201 "queued" at once.</summary>
public sealed class FakeTwilio : IDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string SmsFrom = "+15005550006";

    private readonly HttpListener _listener = new();
    private long _calls;

    public FakeTwilio(int port)
    {
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Sends the bench started, by message text, completed as they arrive here.</summary>
    public Arrivals Sends { get; } = new();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => Answer(context));
        }
    }

    private void Answer(HttpListenerContext context)
    {
        Interlocked.Increment(ref _calls);
        using (var reader = new StreamReader(context.Request.InputStream))
        {
            var text = reader.ReadToEnd().Split('&').FirstOrDefault(f => f.StartsWith("Body=", StringComparison.Ordinal));
            if (text is not null)
                Sends.Arrived(Uri.UnescapeDataString(text[5..].Replace('+', ' ')));
        }
        var sid = "SM" + Guid.NewGuid().ToString("N");
        var body = Encoding.UTF8.GetBytes($$"""{"sid":"{{sid}}","account_sid":"{{AccountSid}}","status":"queued","to":"+14155550123","from":"{{SmsFrom}}","body":"","num_segments":"1","direction":"outbound-api","api_version":"2010-04-01"}""");
        try
        {
            context.Response.StatusCode = 201;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = body.Length;
            context.Response.OutputStream.Write(body);
            context.Response.Close();
        }
        catch (HttpListenerException)
        {
        }
    }

    public void Dispose() => _listener.Close();
}
