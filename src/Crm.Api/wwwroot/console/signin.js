import { get, post, put } from './api.js';
import { h, clear, field, status, showFieldErrors } from './ui.js';
import { signedIn } from './main.js';

export function signInPage(root, notice) {
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const state = status();
  if (notice) state.ok(notice);
  const form = h('form', {
    class: 'card signin', onsubmit: async e => {
      e.preventDefault();
      state.busy('Signing in…');
      try {
        await post('/api/v1/session', { email: email.value, password: password.value }, 'Signing in');
        await signedIn();
      } catch (error) {
        state.fail(error);
        password.select();
      }
    },
  },
  h('h1', {}, 'Sign in to Crm'),
  field('Email', email),
  field('Password', password),
  h('button', { type: 'submit' }, 'Sign in'),
  state);
  clear(root, h('main', { class: 'signin-page', tabindex: '-1' }, form));
  email.focus();
}

/** The invited person's first visit: the link's token names them; they choose a password and land in the inbox. */
export async function invitePage(root, token) {
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true });
  const state = status();
  const main = h('main', { class: 'signin-page invite-page' }, h('div', { class: 'card signin' }, h('h1', {}, 'Accept your invitation'), state));
  clear(root, main);
  state.busy('Opening the invitation…');
  let invitation;
  try {
    invitation = await get(`/api/v1/invites/${encodeURIComponent(token)}`, 'Opening the invitation');
  } catch (error) {
    state.fail(error);
    main.firstChild.append(h('p', {}, h('a', { href: '#/signin' }, 'Go to sign-in')));
    return;
  }
  state.clear();
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', value: invitation.email, readOnly: true });
  const form = h('form', {
    class: 'card signin', onsubmit: async e => {
      e.preventDefault();
      state.busy('Setting your password…');
      try {
        await post(`/api/v1/invites/${encodeURIComponent(token)}/accept`, { password: password.value }, 'Setting your password');
        await signedIn();
      } catch (error) {
        const rest = showFieldErrors(form, error);
        state.fail(rest.length ? `${error.message} ${rest.join(' ')}` : error);
      }
    },
  },
  h('h1', {}, `Join ${invitation.tenantName}`),
  h('p', {}, `Welcome, ${invitation.name}. Choose the password you will sign in with.`),
  field('Email', email),
  field('New password', password, 'At least 10 characters.'),
  h('button', { type: 'submit' }, 'Set password and sign in'),
  state);
  clear(root, h('main', { class: 'signin-page invite-page' }, form));
  password.focus();
}

export function accountPage(root) {
  const current = h('input', { name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input', { name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true, minLength: 10 });
  const state = status();
  const form = h('form', {
    class: 'card', onsubmit: async e => {
      e.preventDefault();
      state.busy('Changing your password…');
      try {
        await put('/api/v1/me/password', { currentPassword: current.value, newPassword: next.value }, 'Changing your password');
        form.reset();
        showFieldErrors(form, null);
        state.ok('Your password is changed; your other sessions were signed out.');
      } catch (error) {
        const rest = showFieldErrors(form, error);
        state.fail(rest.length ? `${error.message} ${rest.join(' ')}` : error);
      }
    },
  },
  h('h1', {}, 'Your account'),
  h('h2', {}, 'Change password'),
  field('Current password', current),
  field('New password', next, 'At least 10 characters.'),
  h('button', { type: 'submit' }, 'Change password'),
  state);
  clear(root, form);
  return {};
}
