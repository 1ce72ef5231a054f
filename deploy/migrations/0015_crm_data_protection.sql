-- The ASP.NET Core data protection key ring of the API nodes: a session cookie made on one node is read on
-- any other. Each row is one key's XML as the key manager wrote it; keys are added, never changed, and the
-- key manager itself decides which are expired or revoked. The XML holds the key material unencrypted.
create table if not exists crm_data_protection_keys (
    id bigint generated always as identity primary key,
    friendly_name text not null unique,
    xml text not null,
    created_at timestamptz not null default now()
);
