// Sign-in: staff with login and password (choosing a role when a person holds several),
// residents with their phone and a one-time code. The grid service sets the session cookie.
import { route, go } from '../router.js';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, field, values, act } from '../ui.js';
import { loadSession, session } from '../session.js';

addMessages({
  zh: {
    'signin.title': '登录', 'signin.staff': '工作人员', 'signin.resident': '居民',
    'signin.login': '账号（手机号或登录名）', 'signin.password': '密码', 'signin.go': '登录',
    'signin.choose': '您有多个岗位，请选择本次登录的身份', 'signin.phone': '手机号',
    'signin.send': '获取验证码', 'signin.code': '验证码', 'signin.home': '所在社区/小区（首次登录填写，如 km.guandu.taihe.heping）',
    'signin.sent': '验证码已发送', 'signin.verify': '登录',
  },
  en: {
    'signin.title': 'Sign in', 'signin.staff': 'Staff', 'signin.resident': 'Resident',
    'signin.login': 'Login (phone or login name)', 'signin.password': 'Password',
    'signin.go': 'Sign in', 'signin.choose': 'You hold several roles; pick one for this session',
    'signin.phone': 'Phone number', 'signin.send': 'Send code', 'signin.code': 'One-time code',
    'signin.home': 'Your community or compound (first sign-in, e.g. km.guandu.taihe.heping)',
    'signin.sent': 'Code sent', 'signin.verify': 'Sign in',
  },
});

async function signedIn(next) {
  await loadSession();
  window.dispatchEvent(new Event('gz:session'));
  go(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
}

function staffForm(next) {
  const box = h('div', { id: 'choices' });
  const form = h('form', { id: 'staff-signin', class: 'stack', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      const answer = await api('grid', '/v1/auth/login', { body: values(form) });
      const roles = answer.roles || answer.choices;
      if (!roles) return signedIn(next);
      return clear(box, h('p', {}, t('signin.choose')), roles.map((r, index) => h('button', {
        class: 'choice', 'data-role': r.role, type: 'button',
        onclick: (ev) => act(ev.target, async () => {
          await api('grid', '/v1/auth/choose', { body: { choice: answer.choice, index } });
          await signedIn(next);
        }),
      }, `${t(`role.${r.role}`)} · ${r.label || r.department || r.scope || r.node || ''}`)));
    });
  } },
  field(t('signin.login'), h('input', { name: 'login', autocomplete: 'username', required: true })),
  field(t('signin.password'), h('input', { name: 'password', type: 'password',
    autocomplete: 'current-password', required: true })),
  h('button', { type: 'submit', class: 'primary' }, t('signin.go')));
  return h('div', {}, form, box);
}

function residentForm(next) {
  const form = h('form', { id: 'resident-signin', class: 'stack', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button[type=submit]'), async () => {
      const body = values(form);
      await api('grid', '/v1/auth/otp/verify', { body });
      await signedIn(next);
    });
  } },
  field(t('signin.phone'), h('input', { name: 'phone', type: 'tel', autocomplete: 'tel',
    required: true })),
  h('button', { type: 'button', id: 'send-code', onclick: (e) => act(e.target,
    () => api('grid', '/v1/auth/otp', { body: { phone: form.phone.value.trim() } }),
    t('signin.sent')) }, t('signin.send')),
  field(t('signin.code'), h('input', { name: 'code', inputmode: 'numeric',
    autocomplete: 'one-time-code', required: true })),
  field(t('signin.home'), h('input', { name: 'home' })),
  h('button', { type: 'submit', class: 'primary' }, t('signin.verify')));
  return form;
}

route({
  path: '/signin', id: 'signin', public: true,
  render: async (root, _, query) => {
    if (session.role) return go('/', true);
    const body = h('div', {});
    const tabs = h('div', { class: 'tabs', role: 'tablist' },
      h('button', { role: 'tab', id: 'tab-staff', onclick: () => clear(body, staffForm(query.next)) },
        t('signin.staff')),
      h('button', { role: 'tab', id: 'tab-resident',
        onclick: () => clear(body, residentForm(query.next)) }, t('signin.resident')));
    clear(body, staffForm(query.next));
    return root.append(h('section', { class: 'card narrow' }, h('h1', {}, t('signin.title')),
      tabs, body));
  },
});
