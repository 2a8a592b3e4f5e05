// 巡查: a grid worker or head logs a visit to their grid (households visited, a note, the
// problems found, each optionally raised as an issue in the same step), and reads back the
// patrols logged in their area; streets and leaders read them.
import { route } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, table, field, section, act, fmtTime, toast, badge } from '../ui.js';
import { session } from '../session.js';

addMessages({
  zh: {
    'patrols.title': '巡查', 'patrols.log': '登记巡查', 'patrols.node': '巡查网格/小区（节点）',
    'patrols.households': '走访户数', 'patrols.note': '巡查记录', 'patrols.problems': '发现的问题',
    'patrols.add_problem': '添加问题', 'patrols.problem_title': '问题', 'patrols.category': '类别',
    'patrols.description': '描述', 'patrols.raise': '立即上报为事项', 'patrols.remove': '删除',
    'patrols.logged': '巡查已登记（{n} 个问题上报为事项）', 'patrols.past': '巡查记录',
    'patrols.at': '时间', 'patrols.by': '巡查人', 'patrols.raised': '已上报',
    'patrols.mine': '只看我的',
  },
  en: {
    'patrols.title': 'Patrols', 'patrols.log': 'Log a patrol', 'patrols.node': 'Where (tier node)',
    'patrols.households': 'Households visited', 'patrols.note': 'Note',
    'patrols.problems': 'Problems found', 'patrols.add_problem': 'Add a problem',
    'patrols.problem_title': 'Problem', 'patrols.category': 'Category',
    'patrols.description': 'Description', 'patrols.raise': 'Raise it as an issue now',
    'patrols.remove': 'Remove', 'patrols.logged': 'Patrol logged ({n} raised as issues)',
    'patrols.past': 'Past patrols', 'patrols.at': 'When', 'patrols.by': 'By',
    'patrols.raised': 'raised', 'patrols.mine': 'Mine only',
  },
});

const PATROLLERS = ['grid_worker', 'info_officer', 'compound_head', 'building_head', 'unit_head',
  'community_staff', 'admin'];

function categoryOptions(catalog) {
  return catalog.map((top) => h('optgroup', { label: top.name },
    top.items.map((i) => h('option', { value: i.code }, i.name))));
}

function problemRow(catalog) {
  const row = h('fieldset', { class: 'problem stack' },
    field(t('patrols.problem_title'), h('input', { name: 'p_title', required: true,
      maxlength: 100 })),
    field(t('patrols.category'), h('select', { name: 'p_category' }, categoryOptions(catalog))),
    field(t('patrols.description'), h('input', { name: 'p_description', maxlength: 2000 })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'p_raise' }),
      ` ${t('patrols.raise')}`),
    h('button', { type: 'button', class: 'link', onclick: () => row.remove() },
      t('patrols.remove')));
  return row;
}

function patrolForm(catalog, afterLog) {
  const problems = h('div', { class: 'stack', id: 'problems' });
  const form = h('form', { id: 'patrol', class: 'stack', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button[type=submit]'), async () => {
      const logged = await api('grid', '/v1/patrols', { idempotencyKey: newKey(), body: {
        node: form.node.value.trim(), households_visited: Number(form.households.value),
        note: form.note.value.trim(),
        problems: [...problems.querySelectorAll('.problem')].map((p) => ({
          title: p.querySelector('[name=p_title]').value.trim(),
          category: p.querySelector('[name=p_category]').value,
          description: p.querySelector('[name=p_description]').value.trim(),
          raise_issue: p.querySelector('[name=p_raise]').checked })),
      } });
      toast(t('patrols.logged', { n: logged.issues_to_raise }), 'ok');
      form.reset();
      form.node.value = session.scope;
      clear(problems);
      await afterLog(logged.id);
    });
  } },
  field(t('patrols.node'), h('input', { name: 'node', value: session.scope, required: true })),
  field(t('patrols.households'), h('input', { name: 'households', type: 'number', min: 0,
    max: 10000, value: 0, required: true })),
  field(t('patrols.note'), h('textarea', { name: 'note', maxlength: 2000 })),
  h('h3', {}, t('patrols.problems')), problems,
  h('button', { type: 'button', id: 'add-problem',
    onclick: () => problems.append(problemRow(catalog)) }, t('patrols.add_problem')),
  h('button', { type: 'submit', class: 'primary' }, t('patrols.log')));
  return section(t('patrols.log'), form);
}

// Patrols at one's area or beneath it, newest first; "mine only" narrows to one's own.
async function pastPatrols(box, mineOnly) {
  const rows = await api('grid', '/v1/patrols', { params: { node: session.scope,
    worker: mineOnly ? session.sub : undefined, limit: 50 } });
  clear(box, table([t('patrols.at'), t('patrols.node'), t('patrols.by'), t('patrols.households'),
    t('patrols.problems'), t('patrols.note')], rows, (p) => [fmtTime(p.at), p.node, p.worker,
    `${p.households_visited}`, h('ul', { class: 'summons' }, p.problems.map((x) => h('li', {},
      x.title, x.raise_issue ? [' ', badge(t('patrols.raised'), 'amber')] : null))), p.note],
  { id: 'past-patrols' }));
  return rows;
}

// The list is a read model: after logging, look again until the new patrol is in it.
async function untilListed(box, id, mineOnly) {
  for (let i = 0; i < 20; i += 1) {
    if ((await pastPatrols(box, mineOnly)).some((p) => p.id === id)) return;
    await new Promise((resolve) => { setTimeout(resolve, 500); });
  }
}

route({
  path: '/patrols', id: 'patrols', nav: 'patrols.title', order: 40,
  roles: [...PATROLLERS, 'street_staff', 'district_staff', 'city_staff'],
  render: async (root) => {
    const past = h('div', {});
    let mineOnly = PATROLLERS.includes(session.role) && session.role !== 'community_staff';
    const toggle = h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'mine-only',
      checked: mineOnly, onchange: (e) => { mineOnly = e.target.checked;
        pastPatrols(past, mineOnly); } }), ` ${t('patrols.mine')}`);
    await pastPatrols(past, mineOnly);
    root.append(h('h1', {}, t('patrols.title')));
    if (PATROLLERS.includes(session.role)) {
      const catalog = await api('issues', '/v1/categories');
      root.append(patrolForm(catalog, (id) => untilListed(past, id, mineOnly)));
    }
    root.append(section(t('patrols.past'), toggle, past));
  },
});
