import { get, post, put, patch, del, api, query } from './api.js';
import { h, clear, field, status, showFieldErrors, transports, transportName, timeEl, clientName, download, longWhen, tableWrap } from './ui.js';
import { can } from './main.js';

const FIELDS = [
  ['firstName', 'First name', 'text'],
  ['middleName', 'Middle name', 'text'],
  ['lastName', 'Last name', 'text'],
  ['gender', 'Gender', 'select'],
  ['dateOfBirth', 'Date of birth', 'date'],
  ['phone', 'Phone', 'tel'],
  ['email', 'Email', 'email'],
  ['address', 'Address', 'text'],
  ['passportNumber', 'Passport number', 'text'],
  ['taxPin', 'Tax PIN', 'text'],
  ['comment', 'Comment', 'textarea'],
];
const CONTACT_TYPES = ['phone', 'email', 'telegram', 'whatsapp', 'other'];
const CONSENT = transports.filter(t => t !== 'phone' && t !== 'other');

function control([name, , type], value) {
  if (type === 'select') {
    return h('select', { name }, h('option', { value: '' }, '—'),
      ['male', 'female', 'other', 'unspecified'].map(g => h('option', { value: g, selected: value === g }, g[0].toUpperCase() + g.slice(1))));
  }
  if (type === 'textarea') return h('textarea', { name, rows: 3, value: value ?? '' });
  return h('input', { name, type, value: value ?? '', required: name === 'firstName', autocomplete: 'off' });
}

function failWith(form, state, error) {
  const rest = showFieldErrors(form, error);
  state.fail(rest.length ? `${error.message} ${rest.join(' ')}` : error);
}

export function newClientPage(root) {
  const state = status();
  const contactType = h('select', { name: 'contactType' }, CONTACT_TYPES.map(t => h('option', { value: t }, t)));
  const contactValue = h('input', { name: 'contacts', type: 'text', autocomplete: 'off' });
  const form = h('form', {
    class: 'card', onsubmit: async e => {
      e.preventDefault();
      const body = {};
      for (const f of FIELDS) { const v = form.elements[f[0]].value.trim(); if (v) body[f[0]] = v; }
      if (contactValue.value.trim()) body.contacts = [{ type: contactType.value, value: contactValue.value.trim() }];
      state.busy('Creating the client…');
      try {
        const client = await post('/api/v1/clients', body, 'Creating the client');
        location.hash = `#/clients/${client.id}`;
      } catch (error) {
        failWith(form, state, error);
      }
    },
  },
  h('h1', {}, 'New client'),
  h('div', { class: 'grid' }, FIELDS.map(f => field(f[1], control(f)))),
  h('fieldset', {}, h('legend', {}, 'First contact (optional)'), h('div', { class: 'inline' }, field('Type', contactType), field('Value', contactValue))),
  h('button', { type: 'submit' }, 'Create client'), state);
  clear(root, form);
  form.elements.firstName.focus();
  return {};
}

/** Every field of the client, contacts, consent, delete and restore, export and erase, and its audit trail. */
export function clientPage(root, clientId) {
  const state = status();
  clear(root, h('section', { class: 'client' }, h('h1', {}, 'Client'), state));
  state.busy('Loading the client…');
  const path = `/api/v1/clients/${encodeURIComponent(clientId)}`;
  let disposed = false;

  async function load() {
    try {
      const client = await get(path, 'Loading the client');
      if (!disposed) render(client);
    } catch (error) {
      state.fail(error);
    }
  }

  function render(client) {
    if (state.classList.contains('busy')) state.clear();
    const section = h('section', { class: 'client' },
      h('div', { class: 'client-head' },
        h('h1', {}, clientName(client)),
        client.deletedAt ? h('p', { class: 'banner' }, `Deleted ${longWhen(client.deletedAt)}; it is hidden from lists until restored.`) : null,
        h('div', { class: 'actions' },
          client.deletedAt ? null : h('button', { type: 'button', onclick: () => openChat(client.id) }, 'Open chat'),
          actions(client))),
      state, profileForm(client), contacts(client), consent(client),
      can('ReadAudit') ? audit(client) : null);
    clear(root, section);
  }

  async function openChat(id) {
    try {
      const chat = await get(`/api/v1/clients/${id}/chat`, 'Opening the chat');
      location.hash = `#/chats/${chat.id}`;
    } catch (error) {
      state.fail(error);
    }
  }

  function actions(client) {
    const buttons = [];
    if (can('DeleteClients')) {
      buttons.push(client.deletedAt
        ? h('button', { type: 'button', class: 'secondary', onclick: () => act(() => post(`${path}/restore`, undefined, 'Restoring the client'), 'Restored.') }, 'Restore')
        : h('button', { type: 'button', class: 'secondary', onclick: () => confirm('Delete this client? An admin can restore it.') && act(() => del(path, 'Deleting the client'), 'Deleted.') }, 'Delete'));
    }
    if (can('ExportClients')) {
      buttons.push(h('button', {
        type: 'button', class: 'secondary', onclick: async () => {
          try {
            const response = await api('GET', `${path}/export`, { what: 'Exporting the client', raw: true });
            download(`client-${client.id}.json`, await response.text());
          } catch (error) { state.fail(error); }
        },
      }, 'Export (GDPR)'));
    }
    if (can('EraseClients')) {
      buttons.push(h('button', {
        type: 'button', class: 'danger', onclick: async () => {
          const typed = prompt(`Erasing removes ${clientName(client)}, their chat and messages for good. Type ERASE to confirm.`);
          if (typed !== 'ERASE') return;
          try {
            await post(`${path}/erase`, undefined, 'Erasing the client');
            clear(root, h('p', { class: 'status ok' }, 'The client was erased.'));
          } catch (error) { state.fail(error); }
        },
      }, 'Erase'));
    }
    return buttons;
  }

  async function act(call, done) {
    try {
      await call();
      await load();
      state.ok(done);
    } catch (error) {
      state.fail(error);
    }
  }

  function profileForm(client) {
    const formState = status();
    const form = h('form', {
      class: 'card', 'aria-label': 'Profile', onsubmit: async e => {
        e.preventDefault();
        const changes = {};
        for (const [name] of FIELDS) {
          const value = form.elements[name].value.trim() || null;
          if (value !== (client[name] ?? null)) changes[name] = value;
        }
        if (Object.keys(changes).length === 0) { formState.ok('Nothing changed.'); return; }
        formState.busy('Saving…');
        try {
          client = await patch(path, changes, 'Saving the client');
          showFieldErrors(form, null);
          formState.ok(`Saved ${longWhen(client.updatedAt)}.`);
          root.querySelector('.client-head h1').textContent = clientName(client);
        } catch (error) {
          failWith(form, formState, error);
        }
      },
    },
    h('h2', {}, 'Profile'),
    h('div', { class: 'grid' }, FIELDS.map(f => field(f[1], control(f, client[f[0]])))),
    h('p', { class: 'muted' }, 'Created ', timeEl(client.createdAt, true), ' · updated ', timeEl(client.updatedAt, true)),
    can('WriteClients') ? h('button', { type: 'submit' }, 'Save') : null, formState);
    if (!can('WriteClients')) for (const el of form.elements) el.disabled = true;
    return form;
  }

  function contacts(client) {
    const type = h('select', { name: 'type' }, CONTACT_TYPES.map(t => h('option', { value: t }, t)));
    const value = h('input', { name: 'value', type: 'text', autocomplete: 'off', required: true });
    const formState = status();
    const list = h('ul', { class: 'contacts' }, client.contacts.map(c => h('li', {},
      h('span', { class: 'tag' }, c.type), ' ', c.value, ' ',
      can('WriteClients') ? h('button', {
        type: 'button', class: 'small secondary', 'aria-label': `Remove ${c.type} ${c.value}`,
        onclick: () => act(() => del(`${path}/contacts/${c.id}`, 'Removing the contact'), 'Contact removed.'),
      }, 'Remove') : null)));
    const form = h('form', {
      class: 'inline', 'aria-label': 'Add a contact', onsubmit: async e => {
        e.preventDefault();
        formState.busy('Adding the contact…');
        try {
          await post(`${path}/contacts`, { type: type.value, value: value.value }, 'Adding the contact');
          await load();
          state.ok('Contact added.');
        } catch (error) {
          if (error.status === 409) {
            form.querySelector(`#${CSS.escape(value.id)}-error`).textContent = 'Another client already has this contact.';
            formState.fail(error);
          } else {
            failWith(form, formState, error);
          }
        }
      },
    }, field('Type', type), field('Value', value), h('button', { type: 'submit' }, 'Add contact'));
    return h('section', { class: 'card' }, h('h2', {}, 'Contacts'),
      client.contacts.length ? list : h('p', { class: 'muted' }, 'No contacts.'),
      can('WriteClients') ? form : null, formState);
  }

  function consent(client) {
    const formState = status();
    const byTransport = Object.fromEntries(Object.entries(client.consent ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return h('section', { class: 'card' }, h('h2', {}, 'Consent per channel'),
      h('ul', { class: 'consent' }, CONSENT.map(t => {
        const record = byTransport[t];
        const box = h('input', {
          type: 'checkbox', name: `consent-${t}`, checked: record ? record.optedIn : true, disabled: !can('WriteClients'),
          onchange: async e => {
            formState.busy(`Recording consent for ${transportName(t)}…`);
            try {
              await put(`${path}/consent/${t}`, { optedIn: e.target.checked }, `Recording consent for ${transportName(t)}`);
              formState.ok(`${transportName(t)}: ${e.target.checked ? 'opted in' : 'opted out'}.`);
            } catch (error) {
              e.target.checked = !e.target.checked;
              formState.fail(error);
            }
          },
        });
        return h('li', {}, h('label', {}, box, ` ${transportName(t)}`),
          record ? h('span', { class: 'muted' }, ` ${record.optedIn ? 'opted in' : 'opted out'} via ${record.source}, `, timeEl(record.at, true)) : h('span', { class: 'muted' }, ' not recorded'));
      })), formState);
  }

  function audit(client) {
    const body = h('tbody');
    const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Older entries');
    const auditState = status();
    let cursor;
    async function page() {
      auditState.busy('Loading the audit trail…');
      try {
        const result = await get(`/api/v1/audit${query({ clientId: client.id, limit: 50, cursor })}`, 'Loading the audit trail');
        for (const e of result.items) {
          body.append(h('tr', {}, h('td', {}, timeEl(e.at, true)), h('td', {}, e.action), h('td', {}, e.actorUserId), h('td', {}, `${e.subjectType} ${e.subjectId}`)));
        }
        cursor = result.nextCursor;
        more.hidden = !cursor;
        auditState.clear();
      } catch (error) {
        auditState.fail(error);
      }
    }
    more.addEventListener('click', page);
    page();
    return h('section', { class: 'card' }, h('h2', {}, 'History (audit trail)'),
      tableWrap('History', h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'What'), h('th', { scope: 'col' }, 'Who'), h('th', { scope: 'col' }, 'Subject'))), body)),
      more, auditState);
  }

  load();
  return { dispose() { disposed = true; } };
}
