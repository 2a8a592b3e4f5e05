// Boot: who is signed in, the menu their role gets, then the screen the address names.
import { loadSession, session } from './session.js';
import { lang, setLang, t } from './i18n.js';
import { h, clear, act } from './ui.js';
import { go, navFor, render } from './router.js';
import { api } from './api.js';
import './pages/index.js';

function drawChrome() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  clear(nav, ...(session.role ? navFor(session.role).map((r) => h('a', {
    href: r.path, 'data-link': true, class: location.pathname.startsWith(r.path) ? 'on' : '',
  }, t(r.nav))) : []));
  const langButton = h('button', { class: 'link', id: 'lang', onclick: () => {
    setLang(lang === 'zh' ? 'en' : 'zh');
    drawChrome();
    render();
  } }, t('app.lang'));
  if (!session.role) return clear(who, langButton);
  const out = h('button', { class: 'link', id: 'signout', onclick: (e) => act(e.target,
    async () => {
      await api('grid', '/v1/auth/logout', { method: 'POST', body: {} });
      await loadSession();
      window.dispatchEvent(new Event('gz:session'));
      go('/signin');
    }) }, t('app.signout'));
  return clear(who, h('span', { class: 'me' }, session.name || session.sub, ' · ',
    t(`role.${session.role}`), ' · ', session.department || session.scope), langButton, out);
}

// Sign-in and sign-out change who is here: the menu follows.
window.addEventListener('gz:session', drawChrome);
window.addEventListener('popstate', drawChrome);
document.addEventListener('click', (e) => {
  if (e.target.closest('a[data-link]')) setTimeout(drawChrome);
});

setLang(lang);
await loadSession();
drawChrome();
render();
