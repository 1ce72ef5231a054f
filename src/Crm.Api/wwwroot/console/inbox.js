import { get, query } from './api.js';
import { markCurrent } from './main.js';
import { h, clear, status, transports, transportName, transportIcon, when, clientName, onVisible } from './ui.js';

const PAGE = 30;

/** The tenant's chats, newest first, a page at a time; rows change in place as events arrive. */
export class Inbox {
  constructor(root) {
    this.rows = new Map();
    this.cursor = undefined;
    this.done = false;
    this.selected = null;
    this.search = h('input', { type: 'search', name: 'query', placeholder: 'Name, phone, email…', autocomplete: 'off' });
    this.unread = h('input', { type: 'checkbox', name: 'unread' });
    this.channel = h('select', { name: 'channel' }, h('option', { value: '' }, 'All channels'),
      transports.map(t => h('option', { value: t }, transportName(t))));
    this.state = status();
    this.list = h('ul', { class: 'chat-list', 'aria-label': 'Chats', 'aria-describedby': 'chat-list-keys' });
    this.results = h('ul', { class: 'client-results', 'aria-label': 'Clients found', hidden: true });
    this.sentinel = h('li', { class: 'sentinel', 'aria-hidden': 'true' });
    this.scroller = h('div', { class: 'scroller' }, this.results, this.list);

    let timer;
    this.search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => this.findClients(), 250); });
    this.list.addEventListener('keydown', e => this.arrowKeys(e));
    this.list.addEventListener('focusin', e => { if (e.target.matches('a.chat-row')) this.tabStop(e.target); });
    this.unread.addEventListener('change', () => this.reload());
    this.channel.addEventListener('change', () => this.reload());
    clear(root,
      h('div', { class: 'inbox-tools' },
        h('label', { class: 'search' }, h('span', { class: 'visually-hidden' }, 'Search clients'), this.search),
        h('div', { class: 'filters' },
          h('label', {}, this.unread, ' Unread only'),
          h('label', {}, h('span', { class: 'visually-hidden' }, 'Channel'), this.channel))),
      this.state, this.scroller,
      h('p', { id: 'chat-list-keys', class: 'visually-hidden' }, 'Arrow keys move between chats; Enter opens one.'));
    this.reload();
  }

  reload() {
    this.rows.clear();
    clear(this.list, this.sentinel);
    this.cursor = undefined;
    this.done = false;
    this.observer?.disconnect();
    this.observer = onVisible(this.sentinel, this.scroller, () => this.more());
  }

  async more() {
    if (this.done || this.loading) return !this.done;
    this.loading = true;
    this.state.busy('Loading chats…');
    try {
      const page = await get(`/api/v1/chats${query({ limit: PAGE, cursor: this.cursor, unread: this.unread.checked || undefined, transport: this.channel.value || undefined })}`, 'Loading chats');
      for (const chat of page.items) if (!this.rows.has(chat.id)) this.list.insertBefore(this.row(chat), this.sentinel);
      this.cursor = page.nextCursor;
      this.done = !page.nextCursor;
      this.state.clear();
      if (this.done && this.rows.size === 0) this.state.ok(this.unread.checked || this.channel.value ? 'No chats match these filters.' : 'No chats yet.');
      this.applyChannel();
      return !this.done;
    } catch (error) {
      this.state.fail(error);
      return false;
    } finally {
      this.loading = false;
    }
  }

  row(chat) {
    const unread = chat.unreadCount > 0
      ? h('span', { class: 'badge', 'aria-label': `${chat.unreadCount} unread` }, String(chat.unreadCount))
      : null;
    const last = chat.lastMessage;
    const li = h('li', { dataset: { chatId: chat.id, transport: last?.transport ?? '', at: chat.lastMessageAt ?? chat.createdAt } },
      h('a', { href: `#/chats/${chat.id}`, class: 'chat-row', 'aria-current': chat.id === this.selected ? 'page' : null },
        last ? transportIcon(last.transport) : h('span', { class: 'channel' }, ''),
        h('span', { class: 'chat-main' },
          h('span', { class: 'chat-name' }, chat.clientName || 'Unnamed client'),
          h('span', { class: 'chat-preview' }, last ? `${last.direction === 'outbound' ? 'You: ' : ''}${last.text}` : 'No messages yet')),
        h('span', { class: 'chat-side' }, h('time', { datetime: chat.lastMessageAt ?? '' }, when(chat.lastMessageAt)), unread)));
    const old = this.rows.get(chat.id);
    if (old) old.replaceWith(li);
    this.rows.set(chat.id, li);
    return li;
  }

  /** The server filters by channel; a row whose last message has since gone another way is hidden until reload. */
  applyChannel() {
    const wanted = this.channel.value;
    for (const li of this.rows.values()) li.hidden = wanted !== '' && li.dataset.transport !== wanted;
    this.tabStop();
  }

  links() {
    return [...this.list.querySelectorAll(':scope > li:not([hidden]) > a.chat-row')];
  }

  /** The list is one Tab stop (the focused, the open or else the first chat); arrow keys move within it. */
  tabStop(stop) {
    const links = this.links();
    stop ??= links.find(a => a === document.activeElement) ?? links.find(a => a.hasAttribute('aria-current')) ?? links[0];
    for (const a of links) a.tabIndex = a === stop ? 0 : -1;
    return stop;
  }

  arrowKeys(e) {
    const links = this.links();
    const at = links.indexOf(document.activeElement);
    const next = at < 0 ? undefined : { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: links.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    this.tabStop(links[Math.max(0, Math.min(links.length - 1, next))]).focus();
  }

  /** Where the skip link and Escape in a chat lead: the chat's row (or the list's Tab stop), if it is on screen. */
  focusRow(chatId) {
    const target = this.rows.get(chatId)?.firstChild ?? this.tabStop() ?? this.search;
    if (!target?.offsetParent) return false;
    if (target.matches('a.chat-row')) this.tabStop(target);
    target.focus();
    return true;
  }

  select(chatId) {
    this.selected = chatId;
    for (const [id, li] of this.rows) markCurrent(li.firstChild, id === chatId);
    this.tabStop();
  }

  /** An event about a chat: re-read that one chat and move its row where its time puts it, keeping the view still. */
  async changed(event) {
    if (!event.chatId) return;
    let chat;
    try {
      chat = await get(`/api/v1/chats/${encodeURIComponent(event.chatId)}`, 'Updating the inbox');
    } catch (error) {
      this.state.fail(error);
      return;
    }
    const existing = this.rows.get(chat.id);
    // A row is replaced and may move: the keyboard user on it must stay on it.
    const focused = existing?.contains(document.activeElement);
    if (this.unread.checked && chat.unreadCount === 0) {
      if (existing) this.keepingScroll(() => { existing.remove(); this.rows.delete(chat.id); });
      if (focused) this.tabStop()?.focus({ preventScroll: true });
      return;
    }
    if (this.state.classList.contains('ok')) this.state.clear();
    this.keepingScroll(() => {
      const li = this.row(chat);
      if (!existing || existing.dataset.at !== li.dataset.at) {
        const after = [...this.rows.values()].find(r => r !== li && r.isConnected && r.dataset.at < li.dataset.at);
        if (after) this.list.insertBefore(li, after);
        else if (this.done || existing) this.list.insertBefore(li, this.sentinel);
        else this.rows.delete(chat.id);
      }
      this.select(this.selected);
      this.applyChannel();
    });
    if (focused) this.rows.get(chat.id)?.firstChild.focus({ preventScroll: true });
  }

  /** A row added or removed above what the user is reading must not push it away. */
  keepingScroll(change) {
    const anchor = [...this.list.children].find(li => li.offsetTop + li.offsetHeight > this.scroller.scrollTop);
    const before = anchor?.offsetTop;
    change();
    if (anchor?.isConnected && this.scroller.scrollTop > 0) this.scroller.scrollTop += anchor.offsetTop - before;
  }

  async findClients() {
    const text = this.search.value.trim();
    if (!text) { this.results.hidden = true; clear(this.results); return; }
    this.state.busy('Searching clients…');
    try {
      const page = await get(`/api/v1/clients${query({ query: text, limit: 20 })}`, 'Searching clients');
      clear(this.results, page.items.length === 0
        ? h('li', { class: 'muted' }, `No client matches “${text}”.`)
        : page.items.map(c => h('li', {}, h('a', { href: `#/clients/${c.id}`, class: 'client-row' },
          h('span', { class: 'chat-name' }, clientName(c)),
          h('span', { class: 'chat-preview' }, c.contacts.map(x => x.value).join(', '))))));
      this.results.hidden = false;
      this.state.clear();
    } catch (error) {
      this.state.fail(error);
    }
  }
}
