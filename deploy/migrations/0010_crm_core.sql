-- Crm's own tables: the append-only message log, the projections the grains keep current, and the audit trail.

create extension if not exists pg_trgm;

create table if not exists messages (
    tenant_id           text        not null,
    chat_id             text        not null,
    seq                 bigint      not null,
    pos                 bigint      generated always as identity,
    id                  text        not null,
    client_id           text        not null,
    direction           text        not null,
    transport           text        not null,
    sender              jsonb       not null,
    text                text        not null,
    attachments         jsonb       not null default '[]',
    template_id         text,
    idempotency_key     text,
    provider_message_id text,
    inbound_count       bigint      not null,
    created_at          timestamptz not null,
    status              text        not null,
    error_code          text,
    sent_at             timestamptz,
    delivered_at        timestamptz,
    read_at             timestamptz,
    search              tsvector    generated always as (to_tsvector('simple', text)) stored,
    primary key (tenant_id, chat_id, seq)
);
create unique index if not exists messages_by_id on messages (id);
create unique index if not exists messages_idempotency on messages (tenant_id, chat_id, idempotency_key) where idempotency_key is not null;
create unique index if not exists messages_provider_id on messages (tenant_id, chat_id, transport, provider_message_id) where provider_message_id is not null;
create index if not exists messages_search on messages using gin (search);
create index if not exists messages_tenant_pos on messages (tenant_id, pos desc);

-- What a message says never changes; only its delivery and read columns move.
create or replace function messages_content_is_immutable() returns trigger language plpgsql as $$
begin
    if (new.tenant_id, new.chat_id, new.seq, new.id, new.client_id, new.direction, new.transport, new.sender, new.text,
        new.attachments, new.template_id, new.idempotency_key, new.created_at)
       is distinct from
       (old.tenant_id, old.chat_id, old.seq, old.id, old.client_id, old.direction, old.transport, old.sender, old.text,
        old.attachments, old.template_id, old.idempotency_key, old.created_at) then
        raise exception 'message content is immutable (message %)', old.id;
    end if;
    return new;
end $$;
drop trigger if exists messages_immutable on messages;
create trigger messages_immutable before update on messages for each row execute function messages_content_is_immutable();

create table if not exists clients_index (
    tenant_id   text        not null,
    client_id   text        not null,
    first_name  text        not null,
    last_name   text,
    search_text text        not null,
    doc         jsonb       not null,
    created_at  timestamptz not null,
    updated_at  timestamptz not null,
    deleted_at  timestamptz,
    primary key (tenant_id, client_id)
);
create index if not exists clients_index_trigram on clients_index using gin (search_text gin_trgm_ops);

create table if not exists chats (
    tenant_id       text        not null,
    chat_id         text        not null,
    client_id       text        not null,
    created_at      timestamptz not null,
    last_message_at timestamptz,
    sort_at         timestamptz not null,
    last_seq        bigint      not null default 0,
    inbound_count   bigint      not null default 0,
    last_message    jsonb,
    members         jsonb       not null default '[]',
    primary key (tenant_id, chat_id)
);
create index if not exists chats_newest_first on chats (tenant_id, sort_at desc, chat_id desc);

create table if not exists chat_reads (
    tenant_id          text        not null,
    chat_id            text        not null,
    user_id            text        not null,
    read_seq           bigint      not null,
    read_inbound_count bigint      not null,
    read_at            timestamptz not null,
    primary key (tenant_id, chat_id, user_id)
);

create table if not exists audit_events (
    id            bigint      generated always as identity primary key,
    tenant_id     text        not null,
    at            timestamptz not null,
    action        text        not null,
    actor_user_id text        not null,
    actor_key_id  text        not null,
    subject_type  text        not null,
    subject_id    text        not null,
    client_id     text,
    data          jsonb
);
create index if not exists audit_events_by_tenant on audit_events (tenant_id, id desc);
create index if not exists audit_events_by_client on audit_events (tenant_id, client_id, id desc) where client_id is not null;

create or replace function audit_events_are_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_events is append-only';
end $$;
drop trigger if exists audit_events_append_only on audit_events;
create trigger audit_events_append_only before update on audit_events for each row execute function audit_events_are_append_only();

create table if not exists attachments (
    tenant_id    text        not null,
    id           text        not null,
    file_name    text        not null,
    content_type text        not null,
    size         bigint      not null,
    content      bytea       not null,
    created_at   timestamptz not null,
    created_by   text        not null,
    primary key (tenant_id, id)
);
