using System.Text;
using System.Text.Json;
using Crm.Grains;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Crm.Api;

/// <summary>
/// Refuses, before an endpoint reads it, a request whose query or JSON body holds text <see cref="TextInput"/>
/// refuses (NUL and other control characters, lone surrogates): 400 naming every such field, as the JSON path
/// (<c>contacts[0].value</c>) or the query parameter, and nothing is stored. One check covers every field of
/// every endpoint, including those no rule looks at (a member's service name, a logged call's text, the widget's).
/// Provider webhooks are not refused: the provider already delivered the message, so <see cref="InboundMessage"/>
/// keeps it without those characters.
/// </summary>
public static class CleanInput
{
    public static IApplicationBuilder UseCleanInput(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.GetEndpoint() is null || http.Request.Path.StartsWithSegments("/webhooks"))
        {
            await next(http);
            return;
        }
        var errors = new Errors();
        foreach (var (name, values) in http.Request.Query)
        {
            if (!TextInput.IsClean(name) || values.Any(v => !TextInput.IsClean(v)))
                errors.Add(TextInput.Strip(name), TextInput.Refusal);
        }
        if (http.Request.HasJsonContentType())
        {
            http.Request.EnableBuffering();
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            http.Request.Body.Position = 0;
            var options = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            FindUnclean(body.GetBuffer().AsSpan(0, (int)body.Length), ReaderOptions(options), errors);
        }
        if (errors.Any)
        {
            await Http.WriteInvalidAsync(http, errors);
            return;
        }
        await next(http);
    });

    /// <summary>
    /// Adds the refusal under the path of every string (and property name) of the JSON document that is not clean.
    /// A document the reader cannot read is left to the endpoint's binding, which names what is malformed.
    /// </summary>
    public static void FindUnclean(ReadOnlySpan<byte> json, JsonReaderOptions options, Errors errors)
    {
        var reader = new Utf8JsonReader(json, options);
        var path = new List<Step>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        continue;
                    case JsonTokenType.PropertyName:
                        var name = StringOf(ref reader);
                        path[^1].Property = null;
                        if (name is null || !TextInput.IsClean(name))
                            errors.Add(PathOf(path), TextInput.Refusal);
                        path[^1].Property = TextInput.Strip(name ?? "");
                        continue;
                }
                if (path.Count > 0 && path[^1].IsArray)
                    path[^1].Index++;
                if (reader.TokenType == JsonTokenType.String && !IsCleanValue(ref reader))
                    errors.Add(PathOf(path), TextInput.Refusal);
                else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    path.Add(new Step { IsArray = reader.TokenType == JsonTokenType.StartArray });
            }
        }
        catch (JsonException)
        {
        }
    }

    /// <summary>
    /// Whether a string value is clean, read from its UTF-8 bytes where it has no escapes (most values): no string is
    /// made for it, since this runs for every request body before the endpoint reads it again.
    /// </summary>
    private static bool IsCleanValue(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
            return StringOf(ref reader) is { } text && TextInput.IsClean(text);
        var bytes = reader.ValueSpan;
        return System.Text.Unicode.Utf8.IsValid(bytes) && !HasControlCharacter(bytes);
    }

    /// <summary>C0 controls other than tab, line feed and carriage return, DEL, and C1 controls (U+0080-U+009F: 0xC2 0x80-0x9F).</summary>
    private static bool HasControlCharacter(ReadOnlySpan<byte> utf8)
    {
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if ((b < 0x20 && b is not ((byte)'\t' or (byte)'\n' or (byte)'\r')) || b == 0x7F)
                return true;
            if (b == 0xC2 && i + 1 < utf8.Length && utf8[i + 1] is >= 0x80 and <= 0x9F)
                return true;
        }
        return false;
    }

    /// <summary>The string, or null when it is not valid UTF-8 or escapes a lone surrogate (the reader throws on both).</summary>
    private static string? StringOf(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static JsonReaderOptions ReaderOptions(JsonSerializerOptions options) => new()
    {
        AllowTrailingCommas = options.AllowTrailingCommas,
        CommentHandling = options.ReadCommentHandling,
        MaxDepth = options.MaxDepth,
    };

    /// <summary><c>contacts[0].value</c>; the document itself is <c>body</c>.</summary>
    private static string PathOf(List<Step> path)
    {
        var text = new StringBuilder();
        foreach (var step in path)
        {
            if (step.IsArray)
                text.Append('[').Append(step.Index).Append(']');
            else if (step.Property is { } property)
                text.Append(text.Length > 0 ? "." : "").Append(property);
        }
        return text.Length > 0 ? text.ToString() : "body";
    }

    private sealed class Step
    {
        public bool IsArray { get; init; }
        public int Index { get; set; } = -1;
        public string? Property { get; set; }
    }
}
