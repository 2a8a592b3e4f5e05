// Screens register themselves: route({path: '/issues/:id', roles: [...], nav: 'key',
// render: async (root, params, query) => {...}}). A role not listed never sees the screen in
// its menu and gets "not yours" if it types the address; the services refuse it anyway.
import { session } from './session.js';
import { t } from './i18n.js';
import { h, clear } from './ui.js';

const routes = [];

export function route(spec) {
  const names = [];
  const pattern = new RegExp(`^${spec.path.replace(/:(\w+)/g, (_, n) => {
    names.push(n);
    return '([^/]+)';
  })}/?$`);
  routes.push({ ...spec, pattern, names });
}

export function navFor(role) {
  return routes.filter((r) => r.nav && allowed(r, role)).sort((a, b) => (a.order ?? 50)
    - (b.order ?? 50));
}

function allowed(r, role) {
  return !r.roles || r.roles.includes(role) || (r.roles.includes('*staff') && role !== 'resident'
    && role !== 'department_staff');
}

export function homeFor(role) {
  const first = navFor(role)[0];
  return first ? first.path : '/signin';
}

export function go(path, replace = false) {
  if (replace) history.replaceState({}, '', path);
  else history.pushState({}, '', path);
  render();
}

let rendering = 0;

export async function render() {
  window.dispatchEvent(new Event('gz:leave')); // stop the last screen's timers and streams
  const main = document.getElementById('main');
  const path = location.pathname;
  const query = Object.fromEntries(new URLSearchParams(location.search));
  const mine = ++rendering;
  if (path === '/' || path === '') return go(session.role ? homeFor(session.role) : '/signin',
    true);
  const matched = routes.find((r) => r.pattern.test(path));
  if (!session.role && !matched?.public) {
    return go(`/signin?next=${encodeURIComponent(path)}`, true);
  }
  for (const r of routes) {
    const m = path.match(r.pattern);
    if (!m) continue;
    if (!r.public && !allowed(r, session.role)) {
      return clear(main, h('div', { class: 'card denied' }, h('h2', {}, t('app.forbidden'))));
    }
    const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    clear(main, h('p', { class: 'loading' }, t('app.loading')));
    document.body.dataset.screen = r.id || r.path;
    const root = h('div', { class: 'screen' });
    try {
      await r.render(root, params, query);
      if (mine === rendering) {
        clear(main, root);
        performance.mark('gz:screen-ready'); // bench/console.py reads it
      }
    } catch (err) {
      if (mine !== rendering) return undefined;
      const denied = err.status === 403 || err.status === 404;
      clear(main, h('div', { class: `card ${denied ? 'denied' : 'error'}` },
        h('h2', {}, err.status === 403 ? t('app.forbidden') : err.status === 404
          ? t('app.notfound') : t('app.error')),
        h('p', {}, err.message || String(err))));
    }
    return undefined;
  }
  return clear(main, h('div', { class: 'card' }, h('h2', {}, t('app.notfound'))));
}

// Links marked data-link route on the client without a reload.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.metaKey || e.ctrlKey || a.target) return;
  e.preventDefault();
  go(a.getAttribute('href'));
});
window.addEventListener('popstate', render);
