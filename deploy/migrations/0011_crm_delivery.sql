-- Status reports name a message by the id its provider gave it, without knowing the chat.
create index if not exists messages_by_provider_id on messages (tenant_id, transport, provider_message_id) where provider_message_id is not null;
