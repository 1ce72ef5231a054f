import { get, post, api, query } from './api.js';
import { h, clear, field, status, transportIcon, transportName, statusBadge, timeEl, clientName, onVisible } from './ui.js';
import { can, me, onEvent } from './main.js';

const PAGE = 50;
const CONTACT_TRANSPORTS = { phone: ['sms', 'whatsapp'], whatsapp: ['whatsapp'], telegram: ['telegram'], email: ['email'] };

/** One chat: history by seq (older pages load on scrolling up), live changes, and the composer. */
export function chatPage(root, chatId, inbox) {
  const page = { chat: null, client: null, nodes: new Map(), oldest: null, newest: 0, templates: [], disposed: false };
  const state = status();
  const title = h('h1', { class: 'chat-title' }, 'Loading chat…');
  const list = h('ol', { class: 'messages', 'aria-label': 'Conversation', 'aria-live': 'polite' });
  const top = h('li', { class: 'sentinel', 'aria-hidden': 'true' });
  const scroller = h('div', { class: 'message-scroller', tabindex: '0', 'aria-label': 'Conversation history' }, list);
  const composer = h('div', { class: 'composer' });
  clear(root, h('section', { class: 'chat' },
    h('div', { class: 'chat-head' }, h('a', { href: '#/inbox', class: 'back' }, '← Inbox'), title),
    state, scroller, composer));

  // Escape goes back to this chat's row in the inbox, where it is shown beside the chat (not on a phone).
  root.addEventListener('keydown', escape);
  function escape(e) {
    if (e.key === 'Escape' && !e.defaultPrevented) inbox.focusRow(chatId);
  }

  const stop = onEvent(event => {
    if (event.chatId !== chatId || !event.message || page.disposed) return;
    upsert(event.message, true);
    if (event.message.direction === 'inbound') markRead();
  });

  function node(m) {
    const canRetry = m.status === 'failed' && m.direction === 'outbound' && can('SendMessages');
    const retryState = status();
    const sender = m.sender?.displayName || m.sender?.address ||
      (m.direction === 'inbound' ? (page.chat?.clientName ?? 'Client') : m.sender?.userId === me()?.userId ? 'You' : 'A teammate');
    return h('li', { class: `message ${m.direction}`, dataset: { seq: m.seq, status: m.status } },
      h('div', { class: 'message-meta' },
        transportIcon(m.transport), ' ',
        h('span', { class: 'sender' }, sender), ' · ',
        h('span', { class: 'transport' }, transportName(m.transport)), ' · ',
        timeEl(m.createdAt, true)),
      m.text ? h('p', { class: 'message-text' }, m.text) : null,
      m.attachments?.length ? h('ul', { class: 'attachments', 'aria-label': 'Attachments' }, m.attachments.map(a =>
        h('li', {}, h('a', { href: a.url ?? `/api/v1/attachments/${encodeURIComponent(a.id)}`, target: '_blank', rel: 'noopener' }, `📎 ${a.fileName ?? a.id}`)))) : null,
      m.direction === 'outbound' ? h('div', { class: 'message-status' }, statusBadge(m),
        m.deliveredAt ? h('span', { class: 'muted' }, ' · delivered ', timeEl(m.deliveredAt)) : null,
        canRetry ? h('button', {
          type: 'button', class: 'small', onclick: async e => {
            e.target.disabled = true;
            retryState.busy('Retrying…');
            try {
              upsert(await post(`/api/v1/chats/${chatId}/messages/${m.seq}/retry`, undefined, 'Retrying the message'), false, true);
            } catch (error) {
              retryState.fail(error);
              e.target.disabled = false;
            }
          },
        }, 'Retry') : null, retryState) : null);
  }

  function atBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  }

  function upsert(m, live = false, retried = false) {
    const old = page.nodes.get(m.seq);
    // Events and answers may arrive in any order: a send's failure event can come before its own 202 answer, so a
    // status never moves back, except by the agent's retry (failed to queued).
    if (old && !(retried && old.dataset.status === 'failed') && statusRank(old.dataset.status) > statusRank(m.status)) return;
    const stick = atBottom();
    const el = node(m);
    page.nodes.set(m.seq, el);
    if (old) old.replaceWith(el);
    else if (m.seq > page.newest) { list.append(el); page.newest = m.seq; }
    else {
      const next = [...page.nodes.entries()].filter(([s]) => s > m.seq).sort(([a], [b]) => a - b)[0]?.[1];
      list.insertBefore(el, next?.isConnected ? next : null);
    }
    if (page.oldest === null || m.seq < page.oldest) page.oldest = m.seq;
    if (!old && (stick || !live)) scroller.scrollTop = scroller.scrollHeight;
  }

  async function older() {
    if (page.oldest === null || page.oldest <= 1) { top.remove(); return false; }
    state.busy('Loading older messages…');
    try {
      const result = await get(`/api/v1/chats/${chatId}/messages${query({ before: page.oldest, limit: PAGE })}`, 'Loading older messages');
      const height = scroller.scrollHeight;
      const first = list.children[1] ?? null;
      for (const m of result.items) {
        const el = node(m);
        page.nodes.set(m.seq, el);
        list.insertBefore(el, first);
        page.oldest = Math.min(page.oldest, m.seq);
      }
      scroller.scrollTop += scroller.scrollHeight - height;
      state.clear();
      if (!result.nextCursor || result.items.length === 0) { top.remove(); return false; }
      return true;
    } catch (error) {
      state.fail(error);
      return false;
    }
  }

  async function markRead() {
    if (!can('MarkRead') || page.newest === 0) return;
    try {
      await post(`/api/v1/chats/${chatId}/read`, { upToSeq: page.newest }, 'Marking the chat read');
      inbox.changed({ chatId });
    } catch (error) {
      state.fail(error);
    }
  }

  async function load() {
    try {
      page.chat = await get(`/api/v1/chats/${encodeURIComponent(chatId)}`, 'Opening the chat');
      clear(title, h('a', { href: `#/clients/${page.chat.clientId}` }, page.chat.clientName || 'Client'));
      const last = page.chat.lastMessage?.seq ?? 0;
      const [messages, client, templates] = await Promise.all([
        last > 0 ? get(`/api/v1/chats/${chatId}/messages${query({ before: last + 1, limit: PAGE })}`, 'Loading messages') : { items: [] },
        get(`/api/v1/clients/${page.chat.clientId}`, 'Loading the client').catch(() => null),
        can('ReadTemplates') ? get('/api/v1/templates?limit=200', 'Loading templates').catch(() => ({ items: [] })) : { items: [] },
      ]);
      if (page.disposed) return;
      page.client = client;
      if (!page.chat.clientName && client) clear(title, h('a', { href: `#/clients/${client.id}` }, clientName(client)));
      page.templates = templates.items;
      list.append(top);
      for (const m of messages.items) upsert(m);
      if (messages.items.length === 0) state.ok('No messages yet: write the first one below.');
      else state.clear();
      if (messages.nextCursor) onVisible(top, scroller, older); else top.remove();
      composer.replaceWith(compose());
      if (page.chat.unreadCount > 0) await markRead();
    } catch (error) {
      state.fail(error);
    }
  }

  function compose() {
    if (!can('SendMessages')) return h('p', { class: 'muted' }, 'Your role may read this chat but not write in it.');
    const text = h('textarea', { name: 'text', rows: 3, placeholder: 'Write a reply… type / to insert a template', maxLength: 4096 });
    const offered = new Set((page.client?.contacts ?? []).flatMap(c => CONTACT_TRANSPORTS[c.type] ?? []));
    if (page.chat.lastMessage?.transport) offered.add(page.chat.lastMessage.transport);
    const transport = h('select', { name: 'transport' },
      h('option', { value: '' }, 'Automatic (as the outbox picks)'),
      [...offered].filter(t => t !== 'phone' && t !== 'other').map(t => h('option', { value: t }, transportName(t))));
    // Hidden: the Attach file button opens it, so it is neither a second Tab stop nor one without a visible focus.
    const file = h('input', { type: 'file', name: 'file', hidden: true });
    const chips = h('ul', { class: 'chips', 'aria-label': 'Attached files' });
    const suggestions = h('ul', { class: 'suggestions', role: 'listbox', id: 'template-suggestions', 'aria-label': 'Templates', hidden: true });
    const state = status();
    const attachments = [];
    let templateId = null;
    let active = 0;

    function suggest() {
      const value = text.value;
      if (!value.startsWith('/') || value.includes('\n')) { suggestions.hidden = true; text.removeAttribute('aria-activedescendant'); return; }
      const wanted = value.slice(1).toLowerCase();
      const matches = page.templates.filter(t => t.name.toLowerCase().includes(wanted) || t.text.toLowerCase().includes(wanted)).slice(0, 8);
      active = Math.min(active, Math.max(0, matches.length - 1));
      clear(suggestions, matches.length === 0
        ? h('li', { class: 'muted', role: 'option', 'aria-disabled': 'true' }, page.templates.length ? 'No template matches.' : 'No templates yet.')
        : matches.map((t, i) => h('li', {
          role: 'option', id: `tpl-${t.id}`, 'aria-selected': String(i === active), dataset: { templateId: t.id },
          onmousedown: e => { e.preventDefault(); insert(t); },
        }, h('strong', {}, t.name), ' ', h('span', { class: 'muted' }, t.text))));
      suggestions.hidden = false;
      if (matches[active]) text.setAttribute('aria-activedescendant', `tpl-${matches[active].id}`);
      suggestions.matches = matches;
    }

    function insert(template) {
      text.value = template.text;
      templateId = template.id;
      suggestions.hidden = true;
      text.focus();
    }

    text.setAttribute('aria-controls', 'template-suggestions');
    text.addEventListener('input', () => { active = 0; suggest(); });
    text.addEventListener('keydown', e => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); return; }
      if (suggestions.hidden || !suggestions.matches?.length) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        active = (active + (e.key === 'ArrowDown' ? 1 : -1) + suggestions.matches.length) % suggestions.matches.length;
        suggest();
      } else if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        insert(suggestions.matches[active]);
      } else if (e.key === 'Escape') {
        e.preventDefault();
        suggestions.hidden = true;
      }
    });

    file.addEventListener('change', async () => {
      const chosen = file.files?.[0];
      if (!chosen) return;
      const body = new FormData();
      body.append('file', chosen);
      state.busy(`Uploading ${chosen.name}…`);
      try {
        const uploaded = await api('POST', '/api/v1/attachments', { body, what: `Uploading ${chosen.name}` });
        attachments.push(uploaded);
        chips.append(h('li', {}, `📎 ${uploaded.fileName}`, h('button', {
          type: 'button', class: 'small', 'aria-label': `Remove ${uploaded.fileName}`,
          onclick: e => { attachments.splice(attachments.indexOf(uploaded), 1); e.target.parentElement.remove(); },
        }, '×')));
        state.clear();
      } catch (error) {
        state.fail(error);
      }
      file.value = '';
    });

    const form = h('form', {
      class: 'composer', onsubmit: async e => {
        e.preventDefault();
        if (!text.value.trim() && attachments.length === 0) { state.fail('Write a message or attach a file first.'); return; }
        state.busy('Sending…');
        const body = { text: text.value, transport: transport.value || undefined, templateId: templateId ?? undefined, attachments: attachments.map(a => a.id) };
        try {
          const sent = await api('POST', `/api/v1/chats/${chatId}/messages`, { body, what: 'Sending the message' });
          upsert(sent);
          scroller.scrollTop = scroller.scrollHeight;
          text.value = '';
          templateId = null;
          attachments.length = 0;
          chips.replaceChildren();
          state.clear();
        } catch (error) {
          state.fail(error);
        }
      },
    },
    field('Message', text),
    suggestions,
    chips,
    h('div', { class: 'composer-actions' },
      field('Send via', transport),
      h('button', { type: 'button', class: 'secondary', onclick: () => file.click() }, 'Attach file'), file,
      h('button', { type: 'button', class: 'secondary', onclick: () => { logForm.hidden = !logForm.hidden; if (!logForm.hidden) logForm.querySelector('textarea').focus(); } }, 'Log a call'),
      h('button', { type: 'submit' }, 'Send')),
    state);
    const logForm = callForm();
    return h('div', { class: 'composer-wrap' }, form, logForm);
  }

  function callForm() {
    const direction = h('select', { name: 'direction' }, h('option', { value: 'outbound' }, 'We called them'), h('option', { value: 'inbound' }, 'They called us'));
    const notes = h('textarea', { name: 'text', rows: 2, placeholder: 'What was said' });
    const state = status();
    const form = h('form', {
      class: 'call-log', hidden: true, onsubmit: async e => {
        e.preventDefault();
        state.busy('Logging the call…');
        try {
          upsert(await post(`/api/v1/chats/${chatId}/log`, { transport: 'phone', direction: direction.value, text: notes.value }, 'Logging the call'));
          notes.value = '';
          form.hidden = true;
          state.clear();
        } catch (error) {
          state.fail(error);
        }
      },
    }, h('h2', {}, 'Log a phone call'), field('Direction', direction), field('Notes', notes),
    h('button', { type: 'submit' }, 'Save call'), state);
    return form;
  }

  load();
  return { dispose() { page.disposed = true; stop(); root.removeEventListener('keydown', escape); } };
}

const ORDER = ['queued', 'sending', 'sent', 'delivered', 'read'];
function statusRank(s) {
  return ORDER.includes(s) ? ORDER.indexOf(s) : 10;
}

