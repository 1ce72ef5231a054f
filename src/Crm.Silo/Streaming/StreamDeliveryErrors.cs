using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// Catches why a delivery to a stream subscriber failed, where the pulling agent's call returns: Orleans tells the
/// failure handler which item failed but not how, and a dead letter without its reason leaves the operator guessing.
/// The exception (the subscriber's own, carried back by Orleans) is written on the item's token, which the agent
/// hands the failure handler next. Every other grain call passes through untouched.
/// </summary>
internal sealed class StreamDeliveryErrors : IOutgoingGrainCallFilter
{
    /// <summary>The name of the stream consumer extension's call the pulling agent makes per item.</summary>
    private const string DeliverBatch = nameof(DeliverBatch);

    /// <summary>Every other call goes straight on, without a state machine of its own: this filter sees every grain call.</summary>
    public Task Invoke(IOutgoingGrainCallContext context) =>
        context.MethodName == DeliverBatch && Delivered(context) is { } token ? DeliverAsync(context, token) : context.Invoke();

    private static async Task DeliverAsync(IOutgoingGrainCallContext context, CrmStreamToken token)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception e)
        {
            token.DeliveryError = Describe(e);
            throw;
        }
        if (context.Response?.Exception is { } failure)
            token.DeliveryError = Describe(failure);
    }

    private static CrmStreamToken? Delivered(IOutgoingGrainCallContext context)
    {
        var request = context.Request;
        for (var i = 0; i < request.GetArgumentCount(); i++)
            if (request.GetArgument(i) is IBatchContainer batch)
                return (batch as CrmBatchContainer)?.Token;
        return null;
    }

    /// <summary>What a dead letter says about its failure: the exception's type and message, at most 2,000 characters.</summary>
    public static string Describe(Exception e)
    {
        var text = $"{e.GetType().FullName}: {e.Message}";
        return text.Length <= 2000 ? text : text[..2000];
    }
}
