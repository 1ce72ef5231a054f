// A visitor's side of the website channel, using only the public widget endpoints (no cookies, no API key).
const site = new URLSearchParams(location.search).get('site') ?? '';
const stored = `crm-demo-visitor:${site}`;
const $ = id => document.getElementById(id);
const state = { token: null, after: 0, timer: null, seen: new Set() };

function say(text, error = false) {
  $('status').textContent = text;
  $('status').className = error ? 'status error' : 'status';
}

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body) headers['Content-Type'] = 'application/json';
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: 'omit' });
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw Object.assign(new Error(answer?.detail ?? answer?.title ?? `the server answered ${response.status}`), { status: response.status });
  return answer;
}

/** A session for this site; the previous token (kept in this browser) keeps the same visitor and chat. */
async function start(name) {
  const previous = localStorage.getItem(stored);
  const session = await call('POST', '/api/v1/widget/sessions', { siteKey: site, name: name || null, visitorToken: previous });
  state.token = session.token;
  localStorage.setItem(stored, session.token);
}

function show(message) {
  if (state.seen.has(message.id)) return;
  state.seen.add(message.id);
  const fromVisitor = message.from === 'visitor';
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = fromVisitor ? 'You' : (message.senderName || 'Agent');
  const li = document.createElement('li');
  li.className = fromVisitor ? 'visitor' : 'agent';
  li.append(who, message.text);
  $('messages').append(li);
  li.scrollIntoView({ block: 'nearest' });
}

async function poll() {
  try {
    const page = await call('GET', `/api/v1/widget/messages?after=${state.after}&limit=200`);
    page.items.forEach(show);
    state.after = page.lastSeq;
    if ($('status').classList.contains('error')) say('');
  } catch (error) {
    if (error.status === 401) { state.token = null; localStorage.removeItem(stored); await start($('name').value.trim()); }
    else say(`Could not load the conversation: ${error.message}`, true);
  }
  state.timer = setTimeout(poll, 2000);
}

$('compose').addEventListener('submit', async e => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  say('Sending…');
  try {
    if (!state.token) await start($('name').value.trim());
    await call('POST', '/api/v1/widget/messages', { text, clientMessageId: crypto.randomUUID?.() });
    $('text').value = '';
    say('Sent. An agent answers here.');
    if (!state.timer) poll();
  } catch (error) {
    say(`Sending failed: ${error.message}`, true);
  }
});

if (!site) say('This page needs ?site=<the site key> in its address (./crm up prints the full link).', true);
else if (localStorage.getItem(stored)) start('').then(poll, error => say(`Could not start the chat: ${error.message}`, true));
