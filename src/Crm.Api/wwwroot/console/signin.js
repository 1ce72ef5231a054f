import { post, put } from './api.js';
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
