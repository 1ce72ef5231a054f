namespace Crm.Grains;

public enum ContactType { Email, Phone, Telegram, Whatsapp, Other }

public enum Transport { Sms, Whatsapp, Telegram, Email, Instagram, Website, Phone, Other }

public enum SenderType { User, Client, Telegram, Whatsapp, Sms, Email, Instagram, Website, Other }

public enum MessageDirection { Inbound, Outbound }

public enum MessageStatus { Queued, Sending, Sent, Delivered, Read, Failed, Undelivered, Received }

public enum MemberKind { User, Client, Service }

public enum Role { Admin, Lead, Agent, Sales }

public enum Gender { Male, Female, Other, Unspecified }
