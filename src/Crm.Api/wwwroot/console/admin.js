import { get, post, put, patch, del, query } from './api.js';
import { h, clear, field, status, showFieldErrors, transportName, tableWrap } from './ui.js';
import { can } from './main.js';

const TABS = [
  ['users', 'Users and roles', 'ManageUsers'],
  ['templates', 'Templates', 'ManageTemplates'],
  ['channels', 'Channels', 'ManageChannels'],
  ['retention', 'Retention', 'ManageRetention'],
];
const ROLES = ['admin', 'lead', 'agent', 'sales'];

export function adminPage(root, tab) {
  if (!can('ManageUsers')) {
    clear(root, h('p', { class: 'status error' }, 'The admin pages are for admins.'));
    return {};
  }
  const body = h('div', { class: 'admin-body' });
  clear(root, h('section', { class: 'admin' }, h('h1', {}, 'Admin'),
    h('nav', { class: 'tabs', 'aria-label': 'Admin' }, TABS.filter(t => can(t[2])).map(([id, label]) =>
      h('a', { href: `#/admin/${id}`, 'aria-current': id === tab ? 'page' : null }, label))),
    body));
  ({ users, templates, channels, retention }[tab] ?? users)(body);
  return {};
}

function failWith(form, state, error) {
  const rest = showFieldErrors(form, error);
  state.fail(rest.length ? `${error.message} ${rest.join(' ')}` : error);
}

function users(root) {
  const state = status();
  const rows = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'More users');
  let cursor;

  async function page(reset) {
    if (reset) { rows.replaceChildren(); cursor = undefined; }
    state.busy('Loading users…');
    try {
      const result = await get(`/api/v1/users${query({ limit: 100, cursor })}`, 'Loading users');
      for (const u of result.items) rows.append(row(u));
      cursor = result.nextCursor;
      more.hidden = !cursor;
      state.clear();
    } catch (error) {
      state.fail(error);
    }
  }

  function row(u) {
    const rowState = status();
    const role = h('select', {
      name: 'role', 'aria-label': `Role of ${u.name}`, disabled: !u.active,
      onchange: async e => {
        rowState.busy('Changing the role…');
        try {
          await patch(`/api/v1/users/${u.id}`, { role: e.target.value }, `Changing the role of ${u.name}`);
          rowState.ok('Role changed.');
        } catch (error) {
          e.target.value = u.role;
          rowState.fail(error);
        }
      },
    }, ROLES.map(r => h('option', { value: r, selected: r === u.role }, r)));
    return h('tr', { dataset: { userId: u.id } },
      h('td', {}, u.name), h('td', {}, u.email ?? h('span', { class: 'muted' }, 'no sign-in')), h('td', {}, role),
      h('td', {}, u.active ? (u.hasPassword ? 'active' : 'active, no password') : h('span', { class: 'muted' }, 'deactivated')),
      h('td', {}, u.active ? [
        h('button', {
          type: 'button', class: 'small secondary', onclick: async () => {
            const password = prompt(`New password for ${u.name} (at least 10 characters). Their sessions end.`);
            if (!password) return;
            try {
              await put(`/api/v1/users/${u.id}/password`, { password }, `Resetting the password of ${u.name}`);
              rowState.ok('Password reset; tell them the new one.');
            } catch (error) { rowState.fail(error); }
          },
        }, 'Reset password'), ' ',
        u.email ? h('button', {
          type: 'button', class: 'small secondary', onclick: async () => {
            if (!confirm(`Make a new invitation link for ${u.name}? Their sessions end and an older link stops working.`)) return;
            try {
              const link = await put(`/api/v1/users/${u.id}/invite`, undefined, `Making an invitation link for ${u.name}`);
              clear(rowState, inviteLink(link));
              rowState.className = 'status ok';
            } catch (error) { rowState.fail(error); }
          },
        }, 'New invite link') : null, ' ',
        h('button', {
          type: 'button', class: 'small danger', onclick: async () => {
            if (!confirm(`Deactivate ${u.name}? Their keys and sessions stop working at once.`)) return;
            try {
              await del(`/api/v1/users/${u.id}`, `Deactivating ${u.name}`);
              page(true);
            } catch (error) { rowState.fail(error); }
          },
        }, 'Deactivate'),
      ] : null, rowState));
  }

  const name = h('input', { name: 'name', required: true, autocomplete: 'off' });
  const email = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const role = h('select', { name: 'role' }, ROLES.map(r => h('option', { value: r, selected: r === 'agent' }, r)));
  const password = h('input', { name: 'password', type: 'text', minLength: 10, autocomplete: 'new-password' });
  const inviteState = status();
  const invite = h('form', {
    class: 'card', 'aria-label': 'Invite a user', onsubmit: async e => {
      e.preventDefault();
      inviteState.busy('Inviting…');
      try {
        const created = await post('/api/v1/users', { name: name.value, email: email.value, role: role.value, password: password.value || undefined }, 'Inviting the user');
        invite.reset();
        showFieldErrors(invite, null);
        if (created.inviteUrl) clear(inviteState, inviteLink(created), ` Their API key for integrations (shown once): ${created.apiKey}`);
        else inviteState.textContent = `${created.name} can sign in as ${created.email} with the password you chose. Their API key for integrations (shown once): ${created.apiKey}`;
        inviteState.className = 'status ok';
        page(true);
      } catch (error) {
        failWith(invite, inviteState, error);
      }
    },
  },
  h('h2', {}, 'Invite a user'),
  h('div', { class: 'grid' }, field('Name', name), field('Email', email), field('Role', role),
    field('Initial password (optional)', password, 'Leave empty to get an invitation link to send them; or set one, tell it to them, and they can change it under Account.')),
  h('button', {
    type: 'button', class: 'secondary', onclick: () => {
      const bytes = crypto.getRandomValues(new Uint8Array(12));
      password.value = btoa(String.fromCharCode(...bytes)).replace(/[+/=]/g, '');
    },
  }, 'Generate password'), ' ',
  h('button', { type: 'submit' }, 'Invite'), inviteState);

  more.addEventListener('click', () => page(false));
  clear(root, tableWrap('Users', h('table', {},
    h('thead', {}, h('tr', {}, ['Name', 'Email', 'Role', 'State', 'Actions'].map(c => h('th', { scope: 'col' }, c)))), rows)),
  more, state, invite);
  page(true);
}

/** An invitation link to hand on, selectable and copyable; it is shown this once. */
function inviteLink(user) {
  const link = h('input', { type: 'text', readOnly: true, value: user.inviteUrl, name: 'inviteUrl', onfocus: e => e.target.select() });
  const until = new Date(user.inviteExpiresAt).toLocaleString();
  return h('span', { class: 'invite-link' },
    `Send this link to ${user.name} (${user.email}); it works once, until ${until}: `,
    field('Invitation link', link),
    h('button', { type: 'button', class: 'small secondary', onclick: () => navigator.clipboard?.writeText(user.inviteUrl) }, 'Copy link'));
}

function templates(root) {
  const state = status();
  const list = h('div', { class: 'templates' });

  function editor(t) {
    const name = h('input', { name: 'name', required: true, value: t?.name ?? '' });
    const text = h('textarea', { name: 'text', rows: 3, required: true, value: t?.text ?? '' });
    const formState = status();
    const form = h('form', {
      class: 'card', 'aria-label': t ? `Template ${t.name}` : 'New template', onsubmit: async e => {
        e.preventDefault();
        formState.busy('Saving…');
        try {
          if (t) await put(`/api/v1/templates/${t.id}`, { name: name.value, text: text.value }, 'Saving the template');
          else await post('/api/v1/templates', { name: name.value, text: text.value }, 'Creating the template');
          if (t) { showFieldErrors(form, null); formState.ok('Saved.'); } else load();
        } catch (error) {
          failWith(form, formState, error);
        }
      },
    },
    t ? null : h('h2', {}, 'New template'),
    field('Name', name), field('Text', text),
    h('button', { type: 'submit' }, t ? 'Save' : 'Create template'), ' ',
    t ? h('button', {
      type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(`Delete the template “${t.name}”?`)) return;
        try {
          await del(`/api/v1/templates/${t.id}`, 'Deleting the template');
          load();
        } catch (error) { formState.fail(error); }
      },
    }, 'Delete') : null, formState);
    return form;
  }

  async function load() {
    state.busy('Loading templates…');
    try {
      const result = await get('/api/v1/templates?limit=200', 'Loading templates');
      clear(list, result.items.length ? result.items.map(editor) : h('p', { class: 'muted' }, 'No templates yet.'), editor(null));
      state.clear();
    } catch (error) {
      state.fail(error);
    }
  }
  clear(root, h('p', { class: 'muted' }, 'Agents insert templates in the chat composer by typing /.'), state, list);
  load();
}

function channels(root) {
  const state = status();
  clear(root, state);
  state.busy('Loading channel settings…');
  get('/api/v1/channels', 'Loading channel settings').then(result => {
    clear(root,
      h('p', {}, 'Providers are configured per tenant in the server configuration (see README, Channels). Public base URL: ', h('code', {}, result.publicBaseUrl)),
      result.items.map(c => h('section', { class: 'card channel-card', dataset: { channel: c.channel } },
        h('h2', {}, `${c.channel[0].toUpperCase()}${c.channel.slice(1)} `, h('span', { class: c.configured ? 'tag ok' : 'tag' }, c.configured ? 'configured' : 'off')),
        h('p', { class: 'muted' }, 'Carries ', c.transports.map(transportName).join(', ')),
        c.configured ? h('dl', {}, Object.entries(c.settings).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')])) : null,
        c.registerUrls.length ? [h('h3', {}, 'Register with the provider'), h('ul', {}, c.registerUrls.map(u => h('li', {}, h('code', {}, u), ' ',
          h('button', { type: 'button', class: 'small secondary', onclick: () => navigator.clipboard?.writeText(u) }, 'Copy'))))] : null,
        c.configured ? testSend(c) : null)));
  }, error => state.fail(error));
}

const LOOKUP = { sms: 'phone', whatsapp: 'phone', telegram: 'telegram', email: 'email', instagram: 'other' };

/** Sends a test message the way an agent would (to a client who owns the contact), then watches its status. */
function testSend(channel) {
  const transport = h('select', { name: 'transport' }, channel.transports.filter(t => LOOKUP[t]).map(t => h('option', { value: t }, transportName(t))));
  const to = h('input', { name: 'to', required: true, autocomplete: 'off', placeholder: '+14155550123, name@example.com…' });
  const state = status();
  const form = h('form', {
    class: 'inline', 'aria-label': `Test-send on ${channel.channel}`, onsubmit: async e => {
      e.preventDefault();
      try {
        state.busy('Finding the client…');
        const client = await get(`/api/v1/clients/lookup${query({ type: LOOKUP[transport.value], value: to.value.trim() })}`, 'Finding the client with this contact');
        const chat = await get(`/api/v1/clients/${client.id}/chat`, 'Opening the chat');
        const sent = await post(`/api/v1/chats/${chat.id}/messages`, { text: 'Test message from Crm', transport: transport.value }, 'Sending the test message');
        state.busy('Queued; waiting for the provider…');
        for (let i = 0; i < 30; i++) {
          const [m] = (await get(`/api/v1/chats/${chat.id}/messages${query({ after: sent.seq - 1, limit: 1 })}`, 'Reading the test message')).items;
          if (m && m.status !== 'queued') {
            const link = h('a', { href: `#/chats/${chat.id}` }, 'open the chat');
            if (m.status === 'failed') clear(state, `Failed: ${m.errorCode ?? 'no reason given'} (`, link, ')');
            else clear(state, `The provider took it (${m.status}); `, link);
            state.className = `status ${m.status === 'failed' ? 'error' : 'ok'}`;
            return;
          }
          await new Promise(resolve => setTimeout(resolve, 1000));
        }
        state.fail('Still queued after 30 s: the outbox retries; see the chat.');
      } catch (error) {
        state.fail(error.status === 404 ? `${error.message} (create a client with this contact first)` : error);
      }
    },
  }, field('Via', transport), field('To (a client’s contact)', to), h('button', { type: 'submit' }, 'Send test'));
  return [h('h3', {}, 'Test-send'), form, state];
}

function retention(root) {
  const state = status();
  const messageDays = h('input', { name: 'messageDays', type: 'number', min: 1, max: 3650 });
  const attachmentDays = h('input', { name: 'attachmentDays', type: 'number', min: 1, max: 3650 });
  const runState = status();
  const form = h('form', {
    class: 'card', onsubmit: async e => {
      e.preventDefault();
      state.busy('Saving the policy…');
      const days = v => (v.value === '' ? null : Number(v.value));
      try {
        await put('/api/v1/tenants/current/retention', { messageDays: days(messageDays), attachmentDays: days(attachmentDays) }, 'Saving the retention policy');
        showFieldErrors(form, null);
        state.ok('Saved.');
      } catch (error) {
        failWith(form, state, error);
      }
    },
  },
  h('h2', {}, 'Retention policy'),
  h('p', { class: 'muted' }, 'Messages and attachments older than this many days are deleted by an hourly job. Empty keeps them for ever.'),
  field('Delete messages after (days)', messageDays), field('Delete attachments after (days)', attachmentDays),
  h('button', { type: 'submit' }, 'Save'), ' ',
  h('button', {
    type: 'button', class: 'secondary', onclick: async () => {
      runState.busy('Running one pass…');
      try {
        const r = await post('/api/v1/tenants/current/retention/run', undefined, 'Running retention');
        runState.ok(`Deleted ${r.messagesDeleted} messages and ${r.attachmentsDeleted} attachments.`);
      } catch (error) { runState.fail(error); }
    },
  }, 'Run now'), state, runState);
  clear(root, form);
  get('/api/v1/tenants/current/retention', 'Loading the retention policy').then(p => {
    messageDays.value = p.messageDays ?? '';
    attachmentDays.value = p.attachmentDays ?? '';
  }, error => state.fail(error));
}

