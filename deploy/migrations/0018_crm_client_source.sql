-- One source of truth for a client. Until now a client was kept twice, as ClientGrain's Orleans state and as the
-- clients_index projection that search read, and who owned a contact value lived in ContactGrain's Orleans state.
-- From here the client's row in `clients` holds everything the client knows and is what search reads, and
-- `contacts` is the one record of which client owns a contact value; a client's contacts are its rows there.
-- The grains load these rows on activation and change them in one group commit per change.

create table if not exists clients (
    tenant_id       text        not null,
    client_id       text        not null,
    -- Counts the client's changes; a change applies only to the version it was made from, and its audit record
    -- is written only where the change applied.
    version         bigint      not null,
    first_name      text        not null,
    last_name       text,
    middle_name     text,
    gender          text,
    date_of_birth   date,
    phone           text,
    email           text,
    address         text,
    passport_number text,
    tax_pin         text,
    comment         text,
    consent         jsonb       not null default '{}',
    -- Names, profile phone and email, and every contact value, lower-cased: what the trigram index serves. It
    -- repeats the contact values, so it is written in the same commit as every change of the client's contacts.
    search_text     text        not null,
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    deleted_at      timestamptz,
    primary key (tenant_id, client_id)
);
create index if not exists clients_trigram on clients using gin (search_text gin_trgm_ops);

-- A value belongs to at most one client of a tenant: claiming it is the insert of its row.
create table if not exists contacts (
    tenant_id  text        not null,
    type       text        not null,
    value      text        not null,
    client_id  text        not null,
    contact_id text        not null,
    created_at timestamptz not null,
    -- The order the client's contacts were added in (the first is the one messages go to by default).
    pos        bigint      generated always as identity,
    primary key (tenant_id, type, value)
);
create index if not exists contacts_of_client on contacts (tenant_id, client_id, pos);

-- Backfill. A client's profile comes from its grain state ({"profile": {...}}, System.Text.Json in CrmJson's
-- camelCase); a clients_index document without a state row (none is written that way) is taken as well.
create temporary table legacy_clients on commit drop as
select split_part(s.GrainIdExtensionString, '/', 1) as tenant_id,
       substr(s.GrainIdExtensionString, length(split_part(s.GrainIdExtensionString, '/', 1)) + 2) as client_id,
       convert_from(s.PayloadBinary, 'UTF8')::jsonb -> 'profile' as profile
from OrleansStorage s
where s.GrainTypeString = 'client' and s.PayloadBinary is not null;

delete from legacy_clients where profile is null or jsonb_typeof(profile) <> 'object';

do $$
begin
    if to_regclass('clients_index') is not null then
        insert into legacy_clients (tenant_id, client_id, profile)
        select ci.tenant_id, ci.client_id, ci.doc
        from clients_index ci
        where not exists (select 1 from legacy_clients l where l.tenant_id = ci.tenant_id and l.client_id = ci.client_id);
    end if;
end $$;

insert into clients (tenant_id, client_id, version, first_name, last_name, middle_name, gender, date_of_birth, phone, email,
                     address, passport_number, tax_pin, comment, consent, search_text, created_at, updated_at, deleted_at)
select distinct on (l.tenant_id, l.client_id)
       l.tenant_id, l.client_id, 1, coalesce(l.profile ->> 'firstName', ''), l.profile ->> 'lastName', l.profile ->> 'middleName',
       l.profile ->> 'gender', (l.profile ->> 'dateOfBirth')::date, l.profile ->> 'phone', l.profile ->> 'email',
       l.profile ->> 'address', l.profile ->> 'passportNumber', l.profile ->> 'taxPin', l.profile ->> 'comment',
       coalesce(nullif(l.profile -> 'consent', 'null'::jsonb), '{}'::jsonb), '',
       (l.profile ->> 'createdAt')::timestamptz, (l.profile ->> 'updatedAt')::timestamptz, (l.profile ->> 'deletedAt')::timestamptz
from legacy_clients l
order by l.tenant_id, l.client_id
on conflict (tenant_id, client_id) do nothing;

-- A value goes to a client where both old records agree: the contact grain names the client as owner and the
-- client's profile lists the value. A claim without its client (a crash between the claim and the client's first
-- write) never routed a message anywhere, and a listed value whose claim is gone or names another client was
-- released or never won; neither answered a lookup before, so neither is carried over.
insert into contacts (tenant_id, type, value, client_id, contact_id, created_at)
select claim.tenant_id, claim.type, claim.value, claim.owner, c ->> 'id', (c ->> 'createdAt')::timestamptz
from (
    select split_part(s.GrainIdExtensionString, '/', 1) as tenant_id,
           split_part(s.GrainIdExtensionString, '/', 2) as type,
           substr(s.GrainIdExtensionString,
                  length(split_part(s.GrainIdExtensionString, '/', 1)) + length(split_part(s.GrainIdExtensionString, '/', 2)) + 3) as value,
           convert_from(s.PayloadBinary, 'UTF8')::jsonb ->> 'ownerClientId' as owner
    from OrleansStorage s
    where s.GrainTypeString = 'contact' and s.PayloadBinary is not null
) claim
join legacy_clients l on l.tenant_id = claim.tenant_id and l.client_id = claim.owner
cross join lateral jsonb_array_elements(coalesce(l.profile -> 'contacts', '[]'::jsonb)) with ordinality as listed(c, n)
where c ->> 'type' = claim.type and c ->> 'value' = claim.value
order by claim.tenant_id, claim.owner, listed.n
on conflict (tenant_id, type, value) do nothing;

-- The search text the application computed is kept where the old projection had it and every listed contact was
-- carried over (PostgreSQL's lower() differs from .NET's for non-ASCII letters under the C locale); otherwise it is
-- made here the way ClientRules.SearchText makes it.
do $$
begin
    if to_regclass('clients_index') is not null then
        update clients c set search_text = ci.search_text
        from clients_index ci, legacy_clients l
        where ci.tenant_id = c.tenant_id and ci.client_id = c.client_id
          and l.tenant_id = c.tenant_id and l.client_id = c.client_id
          and jsonb_array_length(coalesce(l.profile -> 'contacts', '[]'::jsonb))
              = (select count(*) from contacts k where k.tenant_id = c.tenant_id and k.client_id = c.client_id);
    end if;
end $$;

update clients c set search_text = lower(concat_ws(' ',
        nullif(c.first_name, ''), nullif(c.middle_name, ''), nullif(c.last_name, ''), nullif(c.phone, ''), nullif(c.email, ''),
        (select string_agg(k.value, ' ' order by k.pos) from contacts k where k.tenant_id = c.tenant_id and k.client_id = c.client_id)))
where c.search_text = '';

delete from OrleansStorage where GrainTypeString in ('client', 'contact');
drop table if exists clients_index;
