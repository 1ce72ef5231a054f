-- A chat's facts live in its rows only (issue 12). The chat grain loads its chats row, chat_reads and pending outbox
-- rows on activation and writes each change as one commit; it has no Orleans grain state any more. What that state
-- held and the tables lacked moves here, and the existing chat states are folded into the rows, then deleted.

-- What the client last wrote on and from (replies go there), and the threading facts of the conversation.
alter table chats add column if not exists last_inbound_transport text;
alter table chats add column if not exists last_inbound_from jsonb not null default '{}';
alter table chats add column if not exists thread jsonb not null default '{}';

-- The outbox as columns of the message: next_attempt_at is null when the message is not in the outbox. While
-- in_flight, a delivery worker has the message and next_attempt_at is the deadline of its report: still in flight
-- after that, the outcome is unknown and the message is marked failed ("interrupted"), never sent twice.
alter table messages add column if not exists attempts integer not null default 0;
alter table messages add column if not exists next_attempt_at timestamptz;
alter table messages add column if not exists in_flight boolean not null default false;
create index if not exists messages_outbox on messages (tenant_id, chat_id, seq) where next_attempt_at is not null;

-- The chat grains' states (state name 'chat', key '{tenant}/{clientId}', System.Text.Json with CrmJson's options:
-- camelCase names, enums as lower-case strings, dictionary keys camelCased).
drop table if exists pg_temp.chat_states;
create temporary table chat_states as
select k.tenant_id, k.client_id, 'ch_' || substr(k.client_id, strpos(k.client_id, '_') + 1) as chat_id, k.state
from (
    select split_part(GrainIdExtensionString, '/', 1) as tenant_id,
           substr(GrainIdExtensionString, strpos(GrainIdExtensionString, '/') + 1) as client_id,
           convert_from(PayloadBinary, 'UTF8')::jsonb as state
    from OrleansStorage
    where GrainTypeString = 'chat' and PayloadBinary is not null
) k
where coalesce((k.state ->> 'created')::boolean, false);

-- A chat whose state was written and whose list row was not (a crash between the two writes).
insert into chats (tenant_id, chat_id, client_id, created_at, last_message_at, sort_at, last_seq, inbound_count, last_message, members)
select s.tenant_id, s.chat_id, s.client_id, (s.state ->> 'createdAt')::timestamptz, (s.state ->> 'lastMessageAt')::timestamptz,
       coalesce((s.state ->> 'lastMessageAt')::timestamptz, (s.state ->> 'createdAt')::timestamptz),
       coalesce((s.state ->> 'lastSeq')::bigint, 0), coalesce((s.state ->> 'inboundCount')::bigint, 0),
       s.state -> 'lastMessage', coalesce(s.state -> 'members', '[]')
from chat_states s
on conflict (tenant_id, chat_id) do nothing;

-- The row's counters must cover every stored message, or the chat would hand out a seq that is taken.
update chats c
set last_seq = m.seq, inbound_count = m.inbound_count, last_message_at = m.created_at, sort_at = m.created_at,
    last_message = jsonb_build_object('seq', m.seq, 'text', left(m.text, 200), 'direction', m.direction,
                                      'transport', m.transport, 'createdAt', m.created_at)
from chat_states s
cross join lateral (
    select seq, inbound_count, created_at, text, direction, transport
    from messages where tenant_id = s.tenant_id and chat_id = s.chat_id order by seq desc limit 1
) m
where c.tenant_id = s.tenant_id and c.chat_id = s.chat_id and m.seq > c.last_seq;

update chats c
set last_inbound_transport = s.state ->> 'lastInboundTransport',
    last_inbound_from = case when jsonb_typeof(s.state -> 'lastInboundFrom') = 'object' then s.state -> 'lastInboundFrom' else '{}' end,
    thread = case when jsonb_typeof(s.state -> 'thread') = 'object' then s.state -> 'thread' else '{}' end
from chat_states s
where c.tenant_id = s.tenant_id and c.chat_id = s.chat_id;

-- Read horizons were written to chat_reads before the state; the state's are taken where they are further on.
insert into chat_reads (tenant_id, chat_id, user_id, read_seq, read_inbound_count, read_at)
select s.tenant_id, s.chat_id, h.key, (h.value ->> 'seq')::bigint, (h.value ->> 'inboundCount')::bigint, (h.value ->> 'at')::timestamptz
from chat_states s,
     jsonb_each(case when jsonb_typeof(s.state -> 'readHorizons') = 'object' then s.state -> 'readHorizons' else '{}' end) h
on conflict (tenant_id, chat_id, user_id) do update set
    read_seq = excluded.read_seq, read_inbound_count = excluded.read_inbound_count, read_at = excluded.read_at
where chat_reads.read_seq < excluded.read_seq;

-- Queued messages keep their place, attempts and due time. An entry that was in flight keeps its (past) due time as
-- its report deadline, so its chat marks it interrupted on activation, as the state-based chat did.
update messages m
set attempts = coalesce((o.value ->> 'attempts')::integer, 0),
    next_attempt_at = (o.value ->> 'nextAttemptAt')::timestamptz,
    in_flight = coalesce((o.value ->> 'inFlight')::boolean, false)
from chat_states s,
     jsonb_array_elements(case when jsonb_typeof(s.state -> 'outbox') = 'array' then s.state -> 'outbox' else '[]' end) o
where m.tenant_id = s.tenant_id and m.chat_id = s.chat_id and m.seq = (o.value ->> 'seq')::bigint
  and m.direction = 'outbound' and m.status = 'queued';

-- An outbound row committed after the last state its chat wrote was never acknowledged (no 202) and is in no outbox:
-- failed ("unconfirmed"), as the state-based chat marked it on activation, never sent behind the sender's back.
with unconfirmed as (
    update messages m set status = 'failed', error_code = 'unconfirmed'
    from chat_states s
    where m.tenant_id = s.tenant_id and m.chat_id = s.chat_id and m.seq > coalesce((s.state ->> 'lastSeq')::bigint, 0)
      and m.direction = 'outbound' and m.status = 'queued' and m.next_attempt_at is null
    returning m.tenant_id, m.client_id, m.id
)
insert into audit_events (tenant_id, at, action, actor_user_id, actor_key_id, subject_type, subject_id, client_id, data)
select tenant_id, now(), 'message.status', 'system', 'system', 'message', id, client_id,
       '{"status": "failed", "errorCode": "unconfirmed"}'
from unconfirmed;

delete from OrleansStorage where GrainTypeString = 'chat';
drop table chat_states;
