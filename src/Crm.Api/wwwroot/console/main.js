import { api, get, del, useAntiforgery, whenSignedOut } from './api.js';
import { h, clear, status } from './ui.js';
import { signInPage, accountPage, invitePage } from './signin.js';
import { Inbox } from './inbox.js';
import { chatPage } from './chat.js';
import { clientPage, newClientPage } from './client.js';
import { adminPage } from './admin.js';

const app = document.getElementById('app');
const session = { me: null, inbox: null, events: null, listeners: new Set(), view: null };

/** What the signed-in person may do: the API's permission table, as GET /api/v1/session lists it. */
export const can = permission => session.me?.permissions?.includes(permission) ?? false;
export const me = () => session.me;

/** Live changes of the tenant (the API's event stream); each page subscribes while it is shown. */
export function onEvent(listener) {
  session.listeners.add(listener);
  return () => session.listeners.delete(listener);
}

function startEvents(indicator) {
  const source = new EventSource('/api/v1/events/stream');
  const dispatch = e => {
    let data;
    try { data = JSON.parse(e.data); } catch { return; }
    for (const listener of session.listeners) listener(data);
  };
  for (const type of ['message.received', 'message.queued', 'message.status', 'chat.read']) source.addEventListener(type, dispatch);
  source.onopen = () => { indicator.textContent = 'Live'; indicator.className = 'live on'; };
  source.onerror = () => { indicator.textContent = 'Reconnecting…'; indicator.className = 'live off'; };
  return source;
}

async function boot() {
  whenSignedOut(() => { if (session.me) signedOut('Your session ended; sign in again.'); });
  try {
    session.me = await get('/api/v1/session', 'Loading your session');
    useAntiforgery(session.me);
  } catch (error) {
    if (error.status !== 401) {
      clear(app, h('p', { class: 'status error' }, error.message), h('button', { type: 'button', onclick: () => location.reload() }, 'Try again'));
      return;
    }
  }
  window.addEventListener('hashchange', route);
  document.querySelector('.skip')?.addEventListener('click', skipToContent);
  route();
}

/** The skip link must not change the hash (that is the route): on the inbox it leads to the chats, elsewhere to the page. */
function skipToContent(e) {
  e.preventDefault();
  const section = document.body.dataset.section;
  if ((!section || section === 'inbox') && session.inbox?.focusRow(null)) return;
  (document.getElementById('view') ?? document.querySelector('main'))?.focus();
}

function signedOut(message) {
  session.events?.close();
  session.me = null;
  session.inbox = null;
  useAntiforgery(null);
  session.view?.dispose?.();
  session.view = null;
  app.replaceChildren();
  if (message) sessionStorage.setItem('crm-signed-out', message);
  history.replaceState(null, '', '#/signin');
  route();
}

export async function signedIn() {
  session.me = await get('/api/v1/session', 'Loading your session');
  useAntiforgery(session.me);
  app.replaceChildren();
  history.replaceState(null, '', '#/inbox');
  route();
  // The sign-in form is gone with the focus it had: continue in the inbox (its search box until chats load).
  if (document.activeElement === document.body) session.inbox?.focusRow(null);
}

function shell() {
  const indicator = h('span', { class: 'live off', role: 'status' }, 'Connecting…');
  const signOutStatus = status();
  const nav = h('nav', { 'aria-label': 'Main' },
    h('a', { href: '#/inbox', dataset: { nav: 'inbox' } }, 'Inbox'),
    h('a', { href: '#/clients/new', dataset: { nav: 'clients' } }, 'New client'),
    can('ManageUsers') ? h('a', { href: '#/admin/users', dataset: { nav: 'admin' } }, 'Admin') : null,
    h('a', { href: '#/account', dataset: { nav: 'account' } }, 'Account'));
  const header = h('header', { class: 'top' },
    h('span', { class: 'brand' }, 'Crm', h('span', { class: 'tenant' }, session.me.tenantName ?? '')),
    nav,
    indicator,
    h('span', { class: 'who' }, session.me.name ?? session.me.email ?? '', ` (${session.me.role})`),
    h('button', {
      type: 'button', class: 'secondary', id: 'sign-out', onclick: async () => {
        try {
          await del('/api/v1/session', 'Signing out');
          signedOut('You are signed out.');
        } catch (error) { signOutStatus.fail(error); }
      },
    }, 'Sign out'),
    signOutStatus);
  const inboxPane = h('aside', { class: 'inbox-pane', 'aria-label': 'Inbox' });
  const view = h('main', { id: 'view', tabindex: '-1' });
  clear(app, header, h('div', { class: 'panes' }, inboxPane, view));
  app.removeAttribute('aria-busy');
  session.inbox = new Inbox(inboxPane);
  session.events = startEvents(indicator);
  session.listeners.add(e => session.inbox?.changed(e));
}

function route() {
  const path = location.hash.replace(/^#/, '') || '/inbox';
  // The skip link leads past the header and inbox, which the sign-in page does not have.
  document.querySelector('.skip').hidden = !session.me;
  if (!session.me && path.startsWith('/invite/')) {
    app.removeAttribute('aria-busy');
    invitePage(app, decodeURIComponent(path.slice('/invite/'.length)));
    return;
  }
  if (!session.me) {
    app.removeAttribute('aria-busy');
    session.shell = false;
    delete document.body.dataset.section;
    if (app.querySelector('.signin-page:not(.invite-page)')) return;
    signInPage(app, sessionStorage.getItem('crm-signed-out'));
    sessionStorage.removeItem('crm-signed-out');
    return;
  }
  if (path === '/signin') { location.hash = '#/inbox'; return; }
  if (!session.shell) { shell(); session.shell = true; }

  const view = document.getElementById('view');
  session.view?.dispose?.();
  session.view = null;
  const [, section, id, sub] = path.split('/');
  document.body.dataset.section = section;
  const current = section === 'chats' ? 'inbox' : section === 'clients' ? (id === 'new' ? 'clients' : null) : section;
  for (const a of document.querySelectorAll('nav a')) markCurrent(a, a.dataset.nav === current);
  session.inbox.select(section === 'chats' ? id : null);

  if (section === 'chats' && id) session.view = chatPage(view, id, session.inbox);
  else if (section === 'clients' && id === 'new') session.view = newClientPage(view);
  else if (section === 'clients' && id) session.view = clientPage(view, id);
  else if (section === 'admin') session.view = adminPage(view, id ?? 'users');
  else if (section === 'account') session.view = accountPage(view);
  else if (section === 'invite') clear(view, h('p', { class: 'status error' }, `You are signed in as ${session.me.email}. To accept an invitation, sign out first or open the link in a private window.`));
  else clear(view, h('div', { class: 'empty' }, h('h1', {}, 'Inbox'), h('p', {}, 'Pick a chat on the left, or search for a client.')));
  // A page opened from the inbox, or from the page it replaces, takes the focus, so Tab continues in it.
  const active = document.activeElement;
  if (section !== 'inbox' && (active === document.body || session.inbox.list.contains(active) || view.contains(active))) view.focus();
}

export function markCurrent(el, current) {
  if (current) el.setAttribute('aria-current', 'page');
  else el.removeAttribute('aria-current');
}

export { api };
boot();
