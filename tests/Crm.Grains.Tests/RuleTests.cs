namespace Crm.Grains.Tests;

public sealed class ContactRulesTests
{
    [Theory]
    [InlineData(ContactType.Phone, "+1 (415) 555-0123", "+14155550123")]
    [InlineData(ContactType.Phone, "+44 20 7946 0958", "+442079460958")]
    [InlineData(ContactType.Whatsapp, "whatsapp:+14155550123", "+14155550123")]
    [InlineData(ContactType.Email, "  Ann.Lee@Example.COM ", "ann.lee@example.com")]
    [InlineData(ContactType.Telegram, "@Ann_Lee", "ann_lee")]
    [InlineData(ContactType.Telegram, "123456789", "123456789")]
    [InlineData(ContactType.Other, " skype:ann ", "skype:ann")]
    public void ValuesAreNormalised(ContactType type, string raw, string expected) =>
        Assert.Equal(expected, ContactRules.Normalize(type, raw, out _));

    [Theory]
    [InlineData(ContactType.Phone, "4155550123")]
    [InlineData(ContactType.Phone, "+1 555")]
    [InlineData(ContactType.Phone, "call me")]
    [InlineData(ContactType.Email, "ann@")]
    [InlineData(ContactType.Email, "Ann Lee <ann@example.com>")]
    [InlineData(ContactType.Telegram, "@a b")]
    [InlineData(ContactType.Other, "")]
    public void BadValuesAreRefusedWithAReason(ContactType type, string raw)
    {
        Assert.Null(ContactRules.Normalize(type, raw, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData(ContactType.Phone, "+14155550123")]
    [InlineData(ContactType.Other, "widget:site/visitor/42")]
    public void AGrainKeyParsesBackToItsParts(ContactType type, string value) =>
        Assert.Equal(("tn_1", type, value), ContactRules.ParseKey(ContactRules.GrainKey("tn_1", type, value)));
}

public sealed class ChatRulesTests
{
    private static readonly ClientProfile WithTelegramProfile = new()
    {
        FirstName = "A",
        Contacts = [new Contact { Type = ContactType.Telegram, Value = "ann" }, new Contact { Type = ContactType.Email, Value = "a@b.c" }],
    };

    private static readonly ClientFacts WithTelegram = ClientFacts.Of(WithTelegramProfile, 1);

    [Fact]
    public void AnExplicitTransportWins() =>
        Assert.Equal(Transport.Email, ChatRules.ChooseTransport(Transport.Email, Transport.Sms, WithTelegram));

    [Fact]
    public void ElseTheClientsLastInboundTransport() =>
        Assert.Equal(Transport.Sms, ChatRules.ChooseTransport(null, Transport.Sms, WithTelegram));

    [Fact]
    public void ElseTheFirstContact() =>
        Assert.Equal(Transport.Telegram, ChatRules.ChooseTransport(null, null, WithTelegram));

    [Fact]
    public void ANoContactClientHasNoTransport() =>
        Assert.Null(ChatRules.ChooseTransport(null, null, ClientFacts.Of(new ClientProfile { FirstName = "A" }, 1)));

    [Fact]
    public void OnlyAnExplicitOptOutBlocks()
    {
        var client = ClientFacts.Of(new ClientProfile
        {
            FirstName = "A",
            Consent = new Dictionary<Transport, ConsentRecord> { [Transport.Sms] = new() { OptedIn = false }, [Transport.Email] = new() { OptedIn = true } },
        }, 1);

        Assert.True(ChatRules.OptedOut(client, Transport.Sms));
        Assert.False(ChatRules.OptedOut(client, Transport.Email));
        Assert.False(ChatRules.OptedOut(client, Transport.Telegram));
    }

    [Fact]
    public void AChatIsToldOfAChangeOnlyWhenItMovesTheFactsItUses()
    {
        var facts = ClientFacts.Of(WithTelegramProfile, 1);

        var renamed = ClientFacts.Of(WithTelegramProfile with { FirstName = "B", Comment = "vip" }, 2);
        var lostContact = ClientFacts.Of(WithTelegramProfile with { Contacts = [WithTelegramProfile.Contacts[1]] }, 2);
        var optedOut = ClientFacts.Of(WithTelegramProfile with { Consent = new Dictionary<Transport, ConsentRecord> { [Transport.Telegram] = new() { OptedIn = false } } }, 2);
        var deleted = ClientFacts.Of(WithTelegramProfile with { DeletedAt = DateTimeOffset.UnixEpoch }, 2);

        Assert.True(facts.SameAs(renamed));
        Assert.False(facts.SameAs(lostContact));
        Assert.False(facts.SameAs(optedOut));
        Assert.False(facts.SameAs(deleted));
        Assert.True(facts.Holds(ContactType.Telegram, "ann"));
        Assert.False(lostContact.Holds(ContactType.Telegram, "ann"));
    }

    [Fact]
    public void RecentKeysAreBoundedAndKeepTheNewest()
    {
        var keys = new RecentKeys();

        for (var seq = 1; seq <= ChatRules.RecentKeysKept + 10; seq++)
            keys.Remember($"k{seq}", seq);

        Assert.Null(keys.Find("k10"));
        Assert.Equal(11, keys.Find("k11"));
        Assert.Equal(ChatRules.RecentKeysKept + 10, keys.Find($"k{ChatRules.RecentKeysKept + 10}"));
        Assert.Null(keys.Find("never"));
    }

    [Fact]
    public void ARememberedKeyFindsItsNewestSeq()
    {
        var keys = new RecentKeys();

        keys.Remember("idem:a", 3);
        keys.Remember("idem:a", 7);

        Assert.Equal(7, keys.Find("idem:a"));
    }
}

public sealed class ApiKeysTests
{
    [Fact]
    public void AnIssuedKeyParsesBackToItsTenantAndUser()
    {
        var (key, hash) = ApiKeys.Issue("tn_1", "us_2");

        Assert.True(ApiKeys.TryParse(key, out var tenant, out var user, out var secret));
        Assert.Equal(("tn_1", "us_2"), (tenant, user));
        Assert.True(ApiKeys.Matches(ApiKeys.Hash(secret), hash));
    }

    [Theory]
    [InlineData("")]
    [InlineData("crm.tn_1.us_2")]
    [InlineData("crm.tn/1.us_2.aaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("xyz.tn_1.us_2.aaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void MalformedKeysDoNotParse(string key) => Assert.False(ApiKeys.TryParse(key, out _, out _, out _));
}

public sealed class TextInputTests
{
    [Theory]
    [InlineData("plain text")]
    [InlineData("tab\tnew line\ncarriage return\r\n")]
    [InlineData("emoji \U0001F600 and accents é ñ 中文")]
    [InlineData("")]
    public void PrintableTextTabsNewLinesAndSurrogatePairsAreClean(string text)
    {
        Assert.True(TextInput.IsClean(text));
        Assert.Same(text, TextInput.Strip(text));
    }

    [Theory]
    [InlineData("before\0after", "beforeafter")]
    [InlineData("\u0001bell\u0007 escape\u001b", "bell escape")]
    [InlineData("delete\u007f and next line\u0085", "delete and next line")]
    [InlineData("\0\0\0", "")]
    public void ControlCharactersAreRefusedOrStripped(string text, string stripped)
    {
        Assert.False(TextInput.IsClean(text));
        Assert.Equal(stripped, TextInput.Strip(text));
        Assert.True(TextInput.IsClean(stripped));
    }

    // Built in code: attribute arguments are stored as UTF-8, which turns a lone surrogate into U+FFFD.
    [Fact]
    public void LoneSurrogatesAreRefusedOrStrippedAndPairsKept()
    {
        var (high, low, pair) = ("\ud800", "\udc00", "\U0001F600");
        var texts = new[] { $"a{high}b", $"at the end {high}", $"{low} first", $"{low}{high} reversed", $"{high}{high}{pair}" };

        Assert.All(texts, t => Assert.False(TextInput.IsClean(t)));
        Assert.Equal(["ab", "at the end ", " first", " reversed", pair], texts.Select(TextInput.Strip));
    }

    [Fact]
    public void TheRulesNameTheFieldThatHoldsIt()
    {
        var errors = new Errors();
        var fields = new ClientFields { Values = new Dictionary<string, string?> { ["firstName"] = "Ann", ["comment"] = "a\0b" } };

        var profile = ClientRules.Apply(new ClientProfile(), fields, errors);
        ChatRules.ValidateText("hi\0", false, errors);
        TemplateRules.Validate("Ship\u0001", "ok", errors);

        Assert.Null(profile);
        Assert.Equal(["comment", "text", "name"], errors.ToDictionary().Keys);
        Assert.Null(ContactRules.Normalize(ContactType.Other, "skype:\0ann", out var error));
        Assert.Equal(TextInput.Refusal, error);
    }

    [Fact]
    public void AnInboundMessageKeepsWhatTheProviderSentWithoutThem()
    {
        var message = new InboundMessage
        {
            Text = "before\0after",
            Sender = new Sender { DisplayName = "Ann\u0007 Lee", Address = "+1415\u00005550123" },
            ContactValue = "ann\0",
            Attachments = [new AttachmentRef { Id = "a1", FileName = "re\0port.pdf" }],
            Metadata = new Dictionary<string, string> { ["subject"] = "Hi\u001b", ["k\0"] = "v" },
        };

        Assert.Equal(("beforeafter", "Ann Lee", "+14155550123", "ann"), (message.Text, message.Sender.DisplayName, message.Sender.Address, message.ContactValue));
        Assert.Equal("report.pdf", Assert.Single(message.Attachments).FileName);
        Assert.Equal(new Dictionary<string, string> { ["subject"] = "Hi", ["k"] = "v" }, message.Metadata);
    }
}
