// Leaders' dashboard (district, city; streets and communities for their own node): one tier
// node at a time, drilling down from the city to a building unit. Counts are live; the month's
// KPIs, rankings and supervision proposals are as of any instant the leader picks.
import { route, go } from '../router.js';
import { api, url } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, section, table, badge, fixed, percent } from '../ui.js';
import { chart } from '../charts.js';
import { session } from '../session.js';

addMessages({
  zh: {
    'dash.title': '驾驶舱', 'dash.live': '实时诉求', 'dash.kpis': '本月考核', 'dash.trend': '近六个月趋势',
    'dash.children': '下级排名', 'dash.flags': '督办建议（连续未达标）', 'dash.supervision': '超时督办',
    'dash.emergency': '应急状态区域', 'dash.asof': '截至日期', 'dash.now': '现在', 'dash.month': '月份',
    'dash.export': '导出', 'dash.report': '考核报表', 'dash.ranking': '排名', 'dash.flagged': '督办建议',
    'dash.live_hidden': '查看历史时点时不显示实时数', 'dash.up': '上一级',
    'c.total': '诉求总数', 'c.raised': '待受理', 'c.acknowledged': '已受理', 'c.assigned': '办理中',
    'c.resolved': '已解决', 'c.reopened': '重新办理', 'c.closed': '已办结', 'c.merged': '已合并',
    'k.issues': '诉求数', 'k.response_rate': '响应率', 'k.resolution_rate': '解决率',
    'k.satisfaction_rate': '满意率', 'k.report_in_rate': '报到及时率', 'k.score': '综合得分',
    'k.rating_coverage': '评价覆盖率', 'k.rank': '排名', 'k.move': '变化', 'k.name': '名称',
    'k.mode': '状态', 'mode.daily': '日常', 'mode.emergency': '应急', 'k.months': '连续月数',
    'k.whistle': '哨', 'k.department': '部门', 'k.deadline': '期限', 'k.level': '层级',
    'k.breached': '未达标项',
  },
  en: {
    'dash.title': 'Dashboard', 'dash.live': 'Live issues', 'dash.kpis': "This month's KPIs",
    'dash.trend': 'Last six months', 'dash.children': 'Ranking of the tier below',
    'dash.flags': 'Supervision proposals (months under threshold)',
    'dash.supervision': 'Overdue and supervised', 'dash.emergency': 'Areas in emergency mode',
    'dash.asof': 'As of', 'dash.now': 'now', 'dash.month': 'Month', 'dash.export': 'Export',
    'dash.report': 'Report', 'dash.ranking': 'Ranking', 'dash.flagged': 'Proposals',
    'dash.live_hidden': 'Live counts are hidden when looking at a past date', 'dash.up': 'Up',
    'c.total': 'Total', 'c.raised': 'Raised', 'c.acknowledged': 'Acknowledged',
    'c.assigned': 'In hand', 'c.resolved': 'Resolved', 'c.reopened': 'Reopened',
    'c.closed': 'Closed', 'c.merged': 'Merged',
    'k.issues': 'Issues', 'k.response_rate': 'Response', 'k.resolution_rate': 'Resolution',
    'k.satisfaction_rate': 'Satisfaction', 'k.report_in_rate': 'Report-in',
    'k.score': 'Score', 'k.rating_coverage': 'Rating coverage', 'k.rank': 'Rank',
    'k.move': 'Move', 'k.name': 'Name', 'k.mode': 'Mode', 'mode.daily': 'daily',
    'mode.emergency': 'emergency', 'k.months': 'Months', 'k.whistle': 'Whistle',
    'k.department': 'Department', 'k.deadline': 'Deadline', 'k.level': 'Level',
    'k.breached': 'Under threshold',
  },
});

const RATES = ['response_rate', 'resolution_rate', 'satisfaction_rate', 'report_in_rate'];
const COUNTS = ['total', 'raised', 'acknowledged', 'assigned', 'resolved', 'reopened', 'closed'];

const pct = (x) => percent(x, 1);
const score = (x) => fixed(x, 1);

function movement(change) {
  if (change === null || change === undefined || change === 0) return badge('—');
  // A smaller rank number is better: rank_change > 0 means it moved up.
  return change > 0 ? badge(`↑${change}`, 'green') : badge(`↓${-change}`, 'red');
}

// "2026-11-15" (Beijing calendar day) → the end of that day as an instant.
function asOfInstant(day) {
  return day ? `${day}T23:59:59+08:00` : undefined;
}

function breadcrumb(path) {
  const parts = path.split('.');
  const own = session.role === 'admin' ? 1 : session.scope.split('.').length;
  return h('nav', { class: 'crumbs', 'aria-label': 'breadcrumb' }, parts.map((p, i) => {
    const prefix = parts.slice(0, i + 1).join('.');
    return i + 1 < own ? h('span', {}, p, ' › ')
      : h('span', {}, h('a', { href: `/dashboard/${prefix}`, 'data-link': true }, p),
        i < parts.length - 1 ? ' › ' : '');
  }));
}

function exports(path, params) {
  const link = (label, p, q) => h('a', { href: url('evaluation', p, { ...params, ...q }),
    download: true, class: 'export' }, label);
  return h('div', { class: 'row exports' }, `${t('dash.export')}: `,
    link(`${t('dash.report')} CSV`, `/v1/tiers/${path}/report`, { format: 'csv' }),
    link(`${t('dash.report')} Excel`, `/v1/tiers/${path}/report`, { format: 'xlsx' }),
    link(`${t('dash.ranking')} CSV`, '/v1/rankings', { parent: path, format: 'csv' }),
    link(`${t('dash.ranking')} Excel`, '/v1/rankings', { parent: path, format: 'xlsx' }),
    link(`${t('dash.flagged')} CSV`, '/v1/accountability', { parent: path, format: 'csv' }));
}

function liveCounts(summary) {
  const box = h('div', { class: 'kpi', id: 'live-counts' });
  const draw = (s) => clear(box, COUNTS.map((k) => h('div', { 'data-count': k },
    h('span', {}, t(`c.${k}`)), h('b', {}, String(s.node.counts[k] ?? 0)))));
  draw(summary);
  return { box, draw };
}

function kpiTiles(figures) {
  return h('div', { class: 'kpi', id: 'kpis' },
    h('div', { 'data-kpi': 'issues' }, h('span', {}, t('k.issues')), h('b', {},
      String(figures.issues))),
    RATES.map((k) => h('div', { 'data-kpi': k }, h('span', {}, t(`k.${k}`)),
      h('b', {}, pct(figures[k])))),
    h('div', { 'data-kpi': 'score' }, h('span', {}, t('k.score')), h('b', {},
      score(figures.score))));
}

function childrenTable(summary, ranking) {
  const modes = Object.fromEntries((summary?.children || []).map((c) => [c.path, c]));
  return table([t('k.rank'), t('k.name'), t('k.level'), t('k.issues'),
    ...RATES.map((k) => t(`k.${k}`)), t('k.score'), t('k.move'), t('k.mode')],
  ranking.rows, (r) => [String(r.rank ?? '—'),
    h('a', { href: `/dashboard/${r.node}`, 'data-link': true, 'data-child': r.node }, r.name),
    r.level, String(r.issues), ...RATES.map((k) => pct(r[k])), score(r.score),
    movement(r.rank_change),
    modes[r.node]?.mode === 'emergency' ? badge(t('mode.emergency'), 'red')
      : t('mode.daily')], { id: 'children' });
}

// Six months in one call (evaluation's /trend: each month's figures are its /report's).
async function trend(el, path, month, asOf) {
  const answer = await api('evaluation', `/v1/tiers/${path}/trend`,
    { params: { month, months: 6, as_of: asOf } });
  await chart(el, {
    tooltip: { trigger: 'axis' },
    legend: { data: RATES.map((k) => t(`k.${k}`)) },
    xAxis: { type: 'category', data: answer.months.map((m) => m.month) },
    yAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    series: RATES.map((k) => ({ name: t(`k.${k}`), type: 'line', connectNulls: false,
      data: answer.months.map(({ figures }) => (figures[k] === null ? null
        : +(figures[k] * 100).toFixed(1))) })),
  });
}

async function rankingChart(el, ranking) {
  const rows = ranking.rows.filter((r) => r.score !== null);
  await chart(el, {
    tooltip: {}, grid: { left: 120 },
    xAxis: { type: 'value', min: 0, max: 100 },
    yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name) },
    series: [{ type: 'bar', data: rows.map((r) => r.score), itemStyle: { color: '#b71c1c' } }],
  });
}

async function render(root, params, query) {
  const path = params.path || (session.role === 'admin' ? 'km' : session.scope);
  const day = query.as_of || '';
  const asOf = asOfInstant(day);
  const when = { as_of: asOf, month: query.month };
  const [report, ranking, flags, summary, supervision] = await Promise.all([
    api('evaluation', `/v1/tiers/${path}/report`, { params: when }),
    api('evaluation', '/v1/rankings', { params: { parent: path, ...when } }),
    api('evaluation', '/v1/accountability', { params: { parent: path, ...when } }),
    asOf ? null : api('issues', `/v1/tiers/${path}/summary`),
    api('grid', `/v1/nodes/${path}/supervision`).catch(() => []),
  ]);
  const picker = h('form', { class: 'row', id: 'asof', onsubmit: (e) => {
    e.preventDefault();
    const d = e.target.as_of.value;
    go(`/dashboard/${path}${d ? `?as_of=${d}` : ''}`);
  } }, h('label', {}, `${t('dash.asof')} `, h('input', { type: 'date', name: 'as_of',
    value: day })), h('button', { type: 'submit' }, 'OK'),
  day ? h('a', { href: `/dashboard/${path}`, 'data-link': true }, t('dash.now')) : null);
  const head = h('section', { class: 'card' }, breadcrumb(path),
    h('h1', { id: 'node-name' }, report.name, ' ', h('small', { class: 'muted' },
      `${report.month} · ${t('dash.asof')} ${new Date(report.as_of).toLocaleString()}`)),
    picker, exports(path, when));
  root.append(head);

  if (summary) {
    const live = liveCounts(summary);
    const emergency = [summary.node, ...(summary.children || [])]
      .filter((c) => c.mode === 'emergency');
    root.append(section(t('dash.live'), live.box,
      emergency.length ? h('p', { id: 'emergency' }, `${t('dash.emergency')}: `,
        emergency.map((c) => badge(c.name || c.path, 'red'))) : null));
    const timer = setInterval(async () => {
      try {
        live.draw(await api('issues', `/v1/tiers/${path}/summary`));
      } catch { /* the next tick tries again */ }
    }, 5000);
    window.addEventListener('gz:leave', () => clearInterval(timer), { once: true });
  } else {
    root.append(h('p', { class: 'muted' }, t('dash.live_hidden')));
  }

  const trendBox = h('div', { class: 'chart', id: 'trend' });
  root.append(h('div', { class: 'grid2' },
    section(t('dash.kpis'), kpiTiles(report.figures)), section(t('dash.trend'), trendBox)));
  const rankBox = h('div', { class: 'chart', id: 'ranking-chart' });
  root.append(section(t('dash.children'), childrenTable(summary, ranking), rankBox));
  root.append(section(t('dash.flags'), table([t('k.name'), t('k.breached'), t('k.months'),
    t('k.score')], flags.flagged, (f) => [h('a', { href: `/dashboard/${f.node}`,
    'data-link': true }, f.name), f.breached.map((k) => t(`k.${k}`)).join('、'),
  f.months.map((m) => m.month).join(', '), score(f.months.at(-1).score)], { id: 'flags' })));
  root.append(section(t('dash.supervision'), table([t('k.whistle'), t('k.department'),
    t('k.deadline')], supervision, (s) => [s.title || s.whistle_id, s.department || '',
    s.deadline || s.due || ''], { id: 'supervision' })));
  // Charts draw once the screen is in the page (ECharts measures its box); the trend, the
  // one figure needing a call of its own, is asked for only then, after everything else.
  setTimeout(() => {
    rankingChart(rankBox, ranking).catch(() => {});
    trend(trendBox, path, report.month, asOf).catch(() => {});
  });
}

const LEADERS = ['district_staff', 'city_staff', 'street_staff', 'community_staff', 'admin'];
route({ path: '/dashboard', id: 'dashboard', nav: 'dash.title', order: 5, roles: LEADERS,
  render });
route({ path: '/dashboard/:path', id: 'dashboard-node', roles: LEADERS, render });
