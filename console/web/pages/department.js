// A department's board (职能部门): the whistles that summon it, each deadline ticking, where
// its staff report in (报到) and complete; the issues assigned to it, with progress and
// resolution (department-issues.js); its report-in figures, the evaluations the streets gave
// it and its monthly rank. The board follows the
// department's own event stream; leaders above it read the same board without the buttons.
import { route, go } from '../router.js';
import { api, live, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, table, section, act, fmtTime, ticking, badge, fixed, percent } from '../ui.js';
import { session } from '../session.js';
import { departmentNames, summonsBadge } from './summons.js';
import { assignedIssues } from './department-issues.js';

addMessages({
  zh: {
    'department.title': '部门看板', 'department.summons': '召集本部门的吹哨',
    'department.issues': '交办本部门的事项', 'department.stats': '报到统计',
    'department.evaluations': '街道社区评价', 'department.rank': '本月排名',
    'department.report': '报到', 'department.note': '报到说明', 'department.complete': '完成',
    'department.outcome': '处置结果', 'department.reported': '已报到', 'department.completed': '已完成',
    'department.summoned': '被召集', 'department.on_time': '按时报到',
    'department.overdue': '超时', 'department.on_time_rate': '按时率',
    'department.report_minutes': '平均报到(分钟)', 'department.score': '综合得分',
    'department.of': '共 {n} 个部门', 'department.means': '平均分', 'department.no_rank': '本月暂无考核数据',
    'department.action': '操作', 'department.evaluated_at': '评价时间',
  },
  en: {
    'department.title': 'Department board', 'department.summons': 'Whistles summoning us',
    'department.issues': 'Issues assigned to us', 'department.stats': 'Report-in figures',
    'department.evaluations': 'Evaluations by streets and communities',
    'department.rank': 'Rank this month', 'department.report': 'Report in',
    'department.note': 'Note', 'department.complete': 'Complete', 'department.outcome': 'Outcome',
    'department.reported': 'Reported in', 'department.completed': 'Completed',
    'department.summoned': 'Summoned', 'department.on_time': 'On time',
    'department.overdue': 'Overdue', 'department.on_time_rate': 'On-time rate',
    'department.report_minutes': 'Mean report-in (min)', 'department.score': 'Score',
    'department.of': 'of {n} departments', 'department.means': 'Means',
    'department.no_rank': 'No KPI figures this month yet', 'department.action': 'Action',
    'department.evaluated_at': 'Evaluated',
  },
});

const STREAM_EVENTS = ['blown', 'department_reported', 'department_completed', 'overdue',
  'closed'].map((e) => `gongzhi.whistle.${e}.v1`);

// Report in while waiting, complete once reported: one small form per summons.
function actionFor(s, reload) {
  const reported = Boolean(s.reported_at);
  const form = h('form', { class: 'row act', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      const text = form.text.value.trim();
      await api('grid', `/v1/whistles/${s.whistle_id}/${reported ? 'complete' : 'report'}`,
        { body: reported ? { outcome: text } : { note: text }, idempotencyKey: newKey() });
      await reload();
    }, t(reported ? 'department.completed' : 'department.reported'));
  } }, h('input', { name: 'text', placeholder: t(reported ? 'department.outcome'
    : 'department.note'), required: reported, maxlength: reported ? 2000 : 1000 }),
  h('button', { type: 'submit', class: 'primary' },
    t(reported ? 'department.complete' : 'department.report')));
  return form;
}

function boardTable(board, mine, reload) {
  return table([t('whistles.what'), t('whistle.node'), t('whistles.situation'),
    t('whistles.deadline'), t('whistle.countdown'), t('whistles.status'),
    mine ? t('department.action') : ''], board.open, (s) => [
    h('a', { href: `/whistles/${s.whistle_id}`, 'data-link': true }, s.title), s.node,
    [t(`situation.${s.situation}`), s.mode === 'emergency' ? [' ', badge(t('gmode.emergency'),
      'red')] : null],
    fmtTime(s.deadline), s.reported_at ? '' : ticking(s.deadline, { seconds: true }),
    summonsBadge(s), mine ? actionFor(s, reload) : ''], { id: 'board' });
}

function statsTiles(s) {
  const pct = percent(s.on_time_rate, 0);
  const mins = fixed(s.report_minutes, 1);
  return h('div', { class: 'kpi', id: 'stats' }, [
    ['department.summoned', s.summoned], ['department.reported', s.reported],
    ['department.on_time', s.on_time], ['department.overdue', s.overdue],
    ['department.on_time_rate', pct], ['department.report_minutes', mins],
  ].map(([key, v]) => h('div', {}, h('b', {}, `${v}`), t(key))));
}

function evaluationsPart(ev) {
  const means = ['timeliness', 'effectiveness', 'attitude'].map((a) => `${t(`whistle.${a}`)} ${fixed(ev.means[a], 2)}`).join(' · ');
  return h('div', { id: 'evaluations' }, h('p', {}, `${t('department.means')}: ${means}`),
    table([t('whistle.timeliness'), t('whistle.effectiveness'), t('whistle.attitude'),
      t('whistle.comment'), t('whistle.node'), t('department.evaluated_at')], ev.evaluations,
    (e) => [`${e.timeliness}`, `${e.effectiveness}`, `${e.attitude}`, e.comment, e.node,
      fmtTime(e.at)]));
}

async function rankPart(code) {
  try {
    const [report, ranking] = await Promise.all([
      api('evaluation', `/v1/departments/${code}/report`),
      session.role === 'department_staff' ? null : api('evaluation', '/v1/rankings/departments'),
    ]);
    const row = report.department;
    return h('div', { class: 'kpi', id: 'rank' },
      h('div', {}, h('b', {}, `${row.rank ?? '—'}`), t('department.rank'),
        ranking ? ` · ${t('department.of', { n: ranking.rows.length })}` : ''),
      h('div', {}, h('b', {}, row.score === null ? '—' : Number(row.score).toFixed(3)),
        t('department.score')));
  } catch (err) {
    if (err.status === 404) return h('p', { class: 'empty', id: 'rank' }, t('department.no_rank'));
    throw err;
  }
}

route({
  path: '/department', id: 'department-home', nav: 'department.title', order: 20,
  roles: ['department_staff'],
  render: async () => go(`/departments/${session.department}`, true),
});

route({
  path: '/departments/:code', id: 'department',
  roles: ['department_staff', 'district_staff', 'city_staff', 'admin'],
  render: async (root, { code }) => {
    const mine = session.role === 'department_staff' && session.department === code;
    const [names, first] = await Promise.all([departmentNames(),
      api('grid', `/v1/departments/${code}/board`)]); // the service refuses other departments
    const boardBox = h('div', {});
    const statsBox = h('div', {});
    const reload = async () => {
      const [board, stats] = await Promise.all([api('grid', `/v1/departments/${code}/board`),
        api('grid', `/v1/departments/${code}/stats`)]);
      clear(boardBox, boardTable(board, mine, reload));
      clear(statsBox, statsTiles(stats));
    };
    clear(boardBox, boardTable(first, mine, reload));
    clear(statsBox, statsTiles(await api('grid', `/v1/departments/${code}/stats`)));
    live('grid', `/v1/departments/${code}/stream`, () => reload().catch(() => {}), undefined,
      STREAM_EVENTS);
    const [issues, evaluations, rank] = await Promise.all([
      mine ? assignedIssues(h('div', {})) : null,
      api('evaluation', `/v1/departments/${code}/evaluations`), rankPart(code)]);
    root.append(h('h1', {}, names[code] || code),
      section(t('department.summons'), boardBox),
      issues ? section(t('department.issues'), issues) : '',
      h('div', { class: 'grid2' }, section(t('department.stats'), statsBox),
        section(t('department.rank'), rank)),
      section(t('department.evaluations'), evaluationsPart(evaluations)));
  },
});
