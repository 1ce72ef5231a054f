// Small DOM helpers: elements from data, never from HTML strings, so text from clients cannot inject markup.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' || (key in el && typeof value !== 'string')) el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let fieldId = 0;

/** A labelled control; the error slot under it shows what the API said about that field. */
export function field(label, control, hint) {
  const id = control.id || `f${++fieldId}`;
  control.id = id;
  const error = h('p', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
  control.setAttribute('aria-describedby', `${id}-error`);
  return h('div', { class: 'field', dataset: { field: control.name || '' } },
    h('label', { for: id }, label), control, hint ? h('p', { class: 'hint' }, hint) : null, error);
}

/** A table that scrolls sideways on a narrow screen: a named region that keyboard users can focus and scroll too. */
export function tableWrap(label, table) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': label, tabindex: '0' }, table);
}

/** Writes each field error of an ApiError next to its control; returns the errors not shown there. */
export function showFieldErrors(form, error) {
  for (const slot of form.querySelectorAll('.field-error')) slot.textContent = '';
  const rest = [];
  for (const [name, messages] of Object.entries(error?.fields ?? {})) {
    const control = form.querySelector(`[name="${CSS.escape(name)}"]`);
    const slot = control && form.querySelector(`#${CSS.escape(control.id)}-error`);
    if (slot) slot.textContent = messages.join(' ');
    else rest.push(`${name}: ${messages.join(' ')}`);
  }
  return rest;
}

/** A status line that says what is happening or what failed, read out by screen readers. */
export function status() {
  const el = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  el.busy = text => { el.className = 'status busy'; el.textContent = text; };
  el.fail = error => { el.className = 'status error'; el.textContent = error?.message ?? String(error); };
  el.ok = text => { el.className = 'status ok'; el.textContent = text; };
  el.clear = () => { el.className = 'status'; el.textContent = ''; };
  return el;
}

const TRANSPORTS = {
  sms: ['SMS', '✉︎'],
  whatsapp: ['WhatsApp', '🟢'],
  telegram: ['Telegram', '✈︎'],
  email: ['Email', '@'],
  instagram: ['Instagram', '◎'],
  website: ['Website', '🌐'],
  phone: ['Phone call', '☎︎'],
  other: ['Other', '•'],
};

export const transports = Object.keys(TRANSPORTS);
export const transportName = t => TRANSPORTS[t]?.[0] ?? t;

export function transportIcon(t) {
  return h('span', { class: `channel channel-${t}`, title: transportName(t), 'aria-label': transportName(t), role: 'img' }, TRANSPORTS[t]?.[1] ?? '•');
}

const STATUS = {
  queued: ['◷', 'Queued'],
  sending: ['◷', 'Sending'],
  sent: ['✓', 'Sent'],
  delivered: ['✓✓', 'Delivered'],
  read: ['✓✓', 'Read'],
  failed: ['⚠', 'Failed'],
  undelivered: ['⚠', 'Undelivered'],
  received: ['', 'Received'],
};

export function statusBadge(message) {
  const [icon, label] = STATUS[message.status] ?? ['', message.status];
  const reason = message.errorCode ? ` (${message.errorCode})` : '';
  return h('span', { class: `delivery delivery-${message.status}`, dataset: { status: message.status } },
    h('span', { 'aria-hidden': 'true' }, icon), ` ${label}${reason}`);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? time.format(d) : day.format(d);
}

export const longWhen = iso => (iso ? dateTime.format(new Date(iso)) : '');

export function timeEl(iso, long = false) {
  return iso ? h('time', { datetime: iso, title: longWhen(iso) }, long ? longWhen(iso) : when(iso)) : null;
}

export function clientName(c) {
  return [c.firstName, c.middleName, c.lastName].filter(Boolean).join(' ') || c.id;
}

/** Calls load when the sentinel scrolls into view of root; again while it stays visible. */
export function onVisible(sentinel, root, load) {
  const observer = new IntersectionObserver(async entries => {
    if (!entries.some(e => e.isIntersecting)) return;
    observer.unobserve(sentinel);
    const more = await load();
    if (more !== false && sentinel.isConnected) observer.observe(sentinel);
  }, { root, rootMargin: '200px' });
  observer.observe(sentinel);
  return observer;
}

export function download(name, text, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
