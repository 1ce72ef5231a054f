-- The inbox: inbound messages a webhook or receiver has accepted, written by the silo's group commit (many
-- webhooks share one commit) and acknowledged after it. Each silo drains it into the contact grains and deletes
-- what they stored; rows a crashed silo had taken become visible again when its transaction aborts.
create table if not exists inbox (
    id          bigint      generated always as identity primary key,
    contact_key text        not null,
    message     jsonb       not null,
    created_at  timestamptz not null default now()
);
