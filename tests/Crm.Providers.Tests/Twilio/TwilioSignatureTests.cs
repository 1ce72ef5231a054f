using Crm.Testing;
using Microsoft.Extensions.Primitives;
using Twilio.Security;

namespace Crm.Providers.Tests;

public sealed class TwilioSignatureTests
{
    private const string VectorUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";
    private const string VectorToken = "12345";
    private const string VectorSignature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    private static Dictionary<string, StringValues> VectorParams() => new()
    {
        ["CallSid"] = "CA1234567890ABCDE",
        ["Caller"] = "+12349013030",
        ["Digits"] = "1234",
        ["From"] = "+12349013030",
        ["To"] = "+18005551212",
    };

    [Fact]
    public void ThePublishedTestVectorValidates()
    {
        var parameters = VectorParams();

        var valid = TwilioSignature.IsValid(VectorUrl, parameters, VectorToken, VectorSignature);

        Assert.True(valid);
        Assert.Equal(VectorSignature, TwilioSignature.Compute(VectorUrl, parameters, VectorToken));
    }

    [Fact]
    public void ATamperedParameterFails()
    {
        var parameters = VectorParams();
        parameters["Digits"] = "1235";

        var valid = TwilioSignature.IsValid(VectorUrl, parameters, VectorToken, VectorSignature);

        Assert.False(valid);
    }

    [Fact]
    public void AnAddedParameterFails()
    {
        var parameters = VectorParams();
        parameters["Body"] = "injected";

        var valid = TwilioSignature.IsValid(VectorUrl, parameters, VectorToken, VectorSignature);

        Assert.False(valid);
    }

    [Fact]
    public void AnotherUrlFails()
    {
        var valid = TwilioSignature.IsValid("https://mycompany.com/myapp.php?foo=1&bar=3", VectorParams(), VectorToken, VectorSignature);

        Assert.False(valid);
    }

    [Fact]
    public void TheWrongAuthTokenFails()
    {
        var valid = TwilioSignature.IsValid(VectorUrl, VectorParams(), "54321", VectorSignature);

        Assert.False(valid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-signature")]
    public void AMissingOrMalformedSignatureFails(string? signature)
    {
        var valid = TwilioSignature.IsValid(VectorUrl, VectorParams(), VectorToken, signature);

        Assert.False(valid);
    }

    [Fact]
    public void OurSignatureOfARealShapedWebhookIsAcceptedByTwiliosOwnValidator()
    {
        var form = TwilioForms.WhatsApp("+14155550123", "Hello, é ü 👋 & more", "Ann Smith", media: ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg"));
        const string url = "https://crm.example.com/webhooks/twilio/tn_1";

        var signature = TwilioSignature.Compute(url, form.ToDictionary(f => f.Key, f => new StringValues(f.Value)), "token-abc");

        Assert.True(new RequestValidator("token-abc").Validate(url, form, signature));
    }
}
