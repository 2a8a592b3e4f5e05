// 吹哨报到 for streets and communities: blow a whistle at chosen departments, follow the
// whistles of one's area as departments report in (polled: the department streams are the
// departments' own), switch the operating mode, and see the supervision list (督办).
import { route, go } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, table, field, section, act, fmtTime, ticking, badge, toast } from '../ui.js';
import { session } from '../session.js';
import { departmentNames, summonsBadge, every } from './summons.js';
import { modePanel } from './mode.js';

addMessages({
  zh: {
    'whistles.title': '吹哨报到', 'whistles.blow': '吹哨', 'whistles.node': '吹哨地点（节点）',
    'whistles.situation': '情形', 'whistles.what': '事项', 'whistles.departments': '召集部门',
    'whistles.within': '报到时限（分钟，留空按情形：执法 2 小时、重点 24 小时、应急 30 分钟）',
    'whistles.blown': '已吹哨', 'whistles.record': '吹哨记录', 'whistles.status': '状态',
    'whistles.blown_at': '吹哨时间', 'whistles.reports': '报到情况',
    'whistles.pick': '请至少选择一个部门', 'whistles.supervision': '督办：超时未报到的部门',
    'whistles.department': '部门', 'whistles.deadline': '报到期限', 'whistles.overdue_at': '超时时间',
    'whistles.show': '全部', 'whistles.only_open': '进行中', 'whistles.only_closed': '已结束',
    'whistles.about_issue': '就此事项吹哨：',
  },
  en: {
    'whistles.title': 'Whistles', 'whistles.blow': 'Blow the whistle',
    'whistles.node': 'Where (tier node)', 'whistles.situation': 'Situation',
    'whistles.what': 'Matter', 'whistles.departments': 'Summon departments',
    'whistles.within': 'Report within (minutes; empty: law enforcement 2 h, key task 24 h, '
      + 'emergency 30 min)',
    'whistles.blown': 'Whistle blown', 'whistles.record': 'Whistle record',
    'whistles.status': 'Status', 'whistles.blown_at': 'Blown at', 'whistles.reports': 'Report-ins',
    'whistles.pick': 'Pick at least one department',
    'whistles.supervision': 'Supervision: departments that missed a deadline',
    'whistles.department': 'Department', 'whistles.deadline': 'Deadline',
    'whistles.overdue_at': 'Overdue at', 'whistles.show': 'All', 'whistles.only_open': 'Open',
    'whistles.only_closed': 'Closed', 'whistles.about_issue': 'About the issue:',
  },
});

export const BLOWERS = ['street_staff', 'community_staff', 'admin'];
const WATCHERS = [...BLOWERS, 'district_staff', 'city_staff'];
const SITUATIONS = ['law_enforcement', 'key_task', 'emergency'];

// `issue` (and `title`) in the address blow the whistle about that issue: the issue page links
// here as /whistles?issue=<id>&title=<its title>.
function blowForm(departments, names, issue, title) {
  const boxes = h('fieldset', { class: 'departments', id: 'departments' },
    h('legend', {}, t('whistles.departments')),
    departments.map((d) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'departments', value: d.code }), ` ${names[d.code]}`)));
  const form = h('form', { id: 'blow', class: 'stack', onsubmit: (e) => {
    e.preventDefault();
    const picked = [...form.querySelectorAll('input[name=departments]:checked')]
      .map((i) => i.value);
    if (!picked.length) return toast(t('whistles.pick'), 'error');
    const within = form.within.value.trim();
    return act(form.querySelector('button[type=submit]'), async () => {
      const whistle = await api('grid', '/v1/whistles', { idempotencyKey: newKey(), body: {
        node: form.node.value.trim(), situation: form.situation.value,
        title: form.title.value.trim(), departments: picked,
        report_within_minutes: within ? Number(within) : undefined, issue_id: issue || undefined,
      } });
      toast(t('whistles.blown'), 'ok');
      go(`/whistles/${whistle.id}`);
    });
  } },
  field(t('whistles.node'), h('input', { name: 'node', value: session.scope, required: true })),
  field(t('whistles.situation'), h('select', { name: 'situation' },
    SITUATIONS.map((s) => h('option', { value: s }, t(`situation.${s}`))))),
  issue ? h('p', { class: 'muted', id: 'blow-issue' }, t('whistles.about_issue'), ' ',
    h('a', { href: `/issues/${issue}`, 'data-link': true }, title || issue)) : '',
  field(t('whistles.what'), h('input', { name: 'title', required: true, maxlength: 200,
    value: title || '' })),
  boxes,
  field(t('whistles.within'), h('input', { name: 'within', type: 'number', min: '0.01',
    step: 'any' })),
  h('button', { type: 'submit', class: 'primary' }, t('whistles.blow')));
  return section(t('whistles.blow'), form);
}

// One line per summons: the department's badge, with the deadline ticking while it waits.
function reportsCell(summons, names) {
  return h('ul', { class: 'summons' }, summons.map((s) => h('li', { 'data-department':
    s.department }, names[s.department] || s.department, ' ', summonsBadge(s),
  !s.reported_at && !s.completed_at ? [' ', ticking(s.deadline, { seconds: true })] : null)));
}

function recordTable(rows, names) {
  return table([t('whistles.what'), t('whistles.situation'), t('whistles.blown_at'),
    t('whistles.status'), t('whistles.reports')], rows, (w) => [
    h('a', { href: `/whistles/${w.id}`, 'data-link': true }, w.title),
    [t(`situation.${w.situation}`), w.mode === 'emergency' ? [' ', badge(t('gmode.emergency'),
      'red')] : null],
    fmtTime(w.blown_at), t(`whistle.${w.status}`), reportsCell(w.summons, names)],
  { id: 'whistle-record' });
}

function supervisionSection(rows, names) {
  return section(t('whistles.supervision'), table([t('whistles.department'), t('whistles.what'),
    t('whistles.deadline'), t('whistles.overdue_at'), t('whistles.status')], rows, (s) => [
    names[s.department] || s.department,
    h('a', { href: `/whistles/${s.whistle_id}`, 'data-link': true }, s.title),
    fmtTime(s.deadline), fmtTime(s.overdue_at), summonsBadge(s)], { id: 'supervision' }));
}

// For the issue page: the whistles blown about an issue, and for a street or community that
// covers it, a link to blow one (吹哨) with the issue named.
export function whistleLinks(issue) {
  const blown = issue.whistles || [];
  const may = BLOWERS.includes(session.role) && issue.status !== 'closed';
  if (!blown.length && !may) return null;
  const q = new URLSearchParams({ issue: issue.id, title: issue.title });
  return section(t('whistles.title'), h('ul', { id: 'issue-whistles' }, blown.map((id) => h('li',
    {}, h('a', { href: `/whistles/${id}`, 'data-link': true }, `${t('whistle.title')} ${
      id.slice(0, 8)}`)))), may ? h('a', { href: `/whistles?${q}`, 'data-link': true,
    id: 'blow-for-issue', class: 'button' }, t('whistles.blow')) : '');
}

route({
  path: '/whistles', id: 'whistles', nav: 'whistles.title', order: 30, roles: WATCHERS,
  render: async (root, _, query) => {
    const scope = session.scope;
    const status = query.status || undefined;
    const [names, here] = await Promise.all([departmentNames(),
      BLOWERS.includes(session.role)
        ? api('grid', '/v1/departments', { params: { node: scope } }) : []]);
    const record = h('div', {});
    const load = async () => {
      const rows = await api('grid', `/v1/nodes/${scope}/whistles`, { params: { status } });
      clear(record, recordTable(rows, names));
    };
    await load();
    every(3000, load); // report-ins appear without a reload
    const filters = h('div', { class: 'row' }, [['', 'whistles.show'],
      ['open', 'whistles.only_open'], ['closed', 'whistles.only_closed']].map(([s, key]) => h('a',
      { href: s ? `/whistles?status=${s}` : '/whistles', 'data-link': true,
        class: (status || '') === s ? 'on' : '' }, t(key))));
    root.append(h('h1', {}, t('whistles.title')));
    root.append(await modePanel(scope));
    if (BLOWERS.includes(session.role)) {
      root.append(blowForm(here, names, query.issue, query.title));
    }
    root.append(section(t('whistles.record'), filters, record));
    if (['street_staff', 'district_staff', 'city_staff', 'admin'].includes(session.role)) {
      const rows = await api('grid', `/v1/nodes/${scope}/supervision`);
      root.append(supervisionSection(rows, names));
    }
  },
});
