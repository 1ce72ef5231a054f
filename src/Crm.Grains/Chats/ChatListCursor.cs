using System.Globalization;

namespace Crm.Grains;

/// <summary>The chat list is ordered by (last activity, chat id), newest first; a cursor is the last pair served.</summary>
public static class ChatListCursor
{
    public static string Of(DateTimeOffset sortAt, string chatId) =>
        sortAt.UtcTicks.ToString("D20", CultureInfo.InvariantCulture) + "~" + chatId;

    public static bool TryParse(string? cursor, out DateTimeOffset sortAt, out string chatId)
    {
        (sortAt, chatId) = (default, "");
        var parts = cursor?.Split('~', 2);
        if (parts is not { Length: 2 } || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks || !Ids.IsWellFormed(parts[1]))
            return false;
        (sortAt, chatId) = (new DateTimeOffset(ticks, TimeSpan.Zero), parts[1]);
        return true;
    }
}
