using System.Diagnostics;
using System.Diagnostics.Metrics;
using Crm.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Crm.Silo;

/// <summary>Our own instruments (meter <c>Crm</c>): messages in and out, and how long a provider takes to accept a send.</summary>
public static class CrmMetrics
{
    public const string MeterName = "Crm";
    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> MessagesIn = Meter.CreateCounter<long>("crm.messages.in", "{message}", "Inbound messages accepted durably (webhooks, widget, receivers).");
    public static readonly Counter<long> MessagesOut = Meter.CreateCounter<long>("crm.messages.out", "{message}", "Outbound sends handed to a provider, by transport and outcome.");
    public static readonly Histogram<double> DeliveryDuration = Meter.CreateHistogram<double>("crm.delivery.duration", "ms", "Time a provider took to accept or refuse one outbound send.");
    public static readonly Histogram<int> WritesPerCommit = Meter.CreateHistogram<int>("crm.group_commit.writes", "{write}", "Writes (messages, projection rows, audit records) that shared one commit.");
    public static readonly Histogram<int> StatementsPerCommit = Meter.CreateHistogram<int>("crm.group_commit.statements", "{statement}", "Statements that shared one commit.");
    public static readonly Histogram<double> CommitWait = Meter.CreateHistogram<double>("crm.group_commit.wait", "ms", "Time a write waited in the group commit's queue before its transaction began.");
    public static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("crm.group_commit.duration", "ms", "Time one group commit took, from opening the connection to the commit.");
}

/// <summary>Counts and times every send of the channel router.</summary>
internal sealed class MeteredChannelSender(IChannelSender inner) : IChannelSender
{
    public async Task<SendOutcome> SendAsync(OutboundEnvelope envelope, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "exception";
        try
        {
            var result = await inner.SendAsync(envelope, cancellationToken);
            outcome = result.Kind.ToString();
            return result;
        }
        finally
        {
            var tags = new TagList { { "transport", envelope.Transport.ToString() }, { "outcome", outcome } };
            CrmMetrics.MessagesOut.Add(1, tags);
            CrmMetrics.DeliveryDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        }
    }
}

public static class CrmTelemetry
{
    /// <summary>
    /// Metrics through OpenTelemetry: Orleans (<c>Microsoft.Orleans</c>), ASP.NET Core, Npgsql, the .NET runtime
    /// meters and ours, exported over OTLP. On only when an endpoint is configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>,
    /// read by the exporter itself, or <c>Crm:Telemetry:OtlpEndpoint</c>).
    /// </summary>
    public static IServiceCollection AddCrmTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var endpoint = configuration["Crm:Telemetry:OtlpEndpoint"];
        if (string.IsNullOrEmpty(endpoint) && string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            return services;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter("Microsoft.Orleans", CrmMetrics.MeterName, "Npgsql", "System.Runtime")
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter(o =>
                {
                    if (!string.IsNullOrEmpty(endpoint))
                        o.Endpoint = new Uri(endpoint);
                }));
        return services;
    }
}
