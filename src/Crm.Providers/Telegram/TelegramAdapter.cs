using System.Globalization;
using Crm.Grains;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace Crm.Providers;

/// <summary>Sends Telegram messages with the bot of the tenant. Telegram answers with the stored message, so a sent message is <see cref="MessageStatus.Sent"/>.</summary>
public sealed class TelegramAdapter(IHttpClientFactory http) : ITransportAdapter
{
    public const string HttpClientName = "telegram";

    public bool Serves(Transport transport, TenantChannels channels) =>
        transport == Transport.Telegram && !string.IsNullOrWhiteSpace(channels.Telegram?.BotToken);

    public async Task<SendOutcome> SendAsync(OutboundEnvelope envelope, TenantChannels channels, CancellationToken cancellationToken)
    {
        if (!long.TryParse(envelope.To, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var chatId))
            return SendOutcome.Failed("invalid_chat_id", "A Telegram bot can only write to a numeric chat id, known once the person wrote to the bot.");
        if (Client(channels.Telegram!, http) is not { } bot)
            return SendOutcome.Failed("invalid_bot_token", "The configured Telegram bot token is not of the form <digits>:<text>.");
        try
        {
            var sent = await bot.SendMessage(new ChatId(chatId), envelope.Text, cancellationToken: cancellationToken);
            return SendOutcome.Sent(TelegramUpdateParser.MessageIdentity(sent.Chat.Id, sent.Id));
        }
        catch (Exception e) when (Classify(e, cancellationToken) is { } outcome)
        {
            return outcome;
        }
    }

    /// <summary>A bot client that never retries by itself (the outbox does, with its own backoff), or null for a malformed token.</summary>
    public static TelegramBotClient? Client(TelegramSettings settings, IHttpClientFactory http)
    {
        try
        {
            return new TelegramBotClient(new TelegramBotClientOptions(settings.BotToken, settings.BaseUrl) { RetryThreshold = 0 }, http.CreateClient(HttpClientName));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// 429 waits as long as Telegram says; 5xx and network failures are retried; 403 (the person blocked the bot)
    /// and other 4xx are final. A cancellation of ours is not an outcome.
    /// </summary>
    public static SendOutcome? Classify(Exception error, CancellationToken cancellationToken) => error switch
    {
        ApiRequestException { ErrorCode: 429 } e => SendOutcome.Retry("429", e.Message, e.Parameters?.RetryAfter is { } s ? TimeSpan.FromSeconds(s) : null),
        ApiRequestException { ErrorCode: >= 500 } e => SendOutcome.Retry(Code(e.ErrorCode), e.Message),
        ApiRequestException e => SendOutcome.Failed(Code(e.ErrorCode), e.Message),
        RequestException { HttpStatusCode: { } status } e when (int)status is >= 400 and < 500 and not 429 => SendOutcome.Failed(Code((int)status), e.Message),
        RequestException e => SendOutcome.Retry(e.HttpStatusCode is { } status ? Code((int)status) : "connection", e.Message),
        HttpRequestException e => SendOutcome.Retry("connection", e.Message),
        OperationCanceledException when !cancellationToken.IsCancellationRequested => SendOutcome.Retry("timeout", "Telegram did not answer in time."),
        _ => null,
    };

    private static string Code(int code) => code.ToString(CultureInfo.InvariantCulture);
}
