using MimeKit;

namespace Crm.Providers.Tests;

public sealed class EmailReaderTests
{
    [Fact]
    public void ControlCharactersInAMailAreDroppedAndTheMessageKept()
    {
        var mail = new MimeMessage { MessageId = "nul@client.test", Subject = "Order\u0001 42", Body = new TextPart("plain") { Text = "before\0after" } };
        mail.From.Add(new MailboxAddress("Ann\u0007 Lee", "ann@client.test"));

        var message = EmailReader.Read("tn_mail", mail, EmailReader.SenderOf(mail, "support@crm.test")!, []);

        Assert.Equal(("beforeafter", "Ann Lee", "Order 42"), (message.Text, message.Sender.DisplayName, message.Metadata[EmailThread.Subject]));
    }
}
