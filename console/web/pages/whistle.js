// One whistle as the street that blew it watches it: each summoned department's deadline
// ticking, report-ins and completions appearing as they happen (the whistle is read every
// two seconds), late ones marked; once closed, the blower evaluates each department.
import { route } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, table, section, fmtTime, ticking, badge, act, field } from '../ui.js';
import { session } from '../session.js';
import { departmentNames, summonsBadge, every } from './summons.js';
import { BLOWERS } from './whistles.js';

addMessages({
  zh: {
    'whistle.title': '吹哨详情', 'whistle.node': '地点', 'whistle.supervisor': '督办层级',
    'whistle.reported_at': '报到时间', 'whistle.completed_at': '完成时间',
    'whistle.outcome': '处置结果', 'whistle.countdown': '倒计时', 'whistle.history': '过程记录',
    'whistle.live': '实时更新中', 'whistle.evaluate': '评价部门', 'whistle.timeliness': '及时性',
    'whistle.effectiveness': '实效性', 'whistle.attitude': '态度', 'whistle.comment': '评语',
    'whistle.evaluated': '已评价',
    'wevent.blown': '吹哨', 'wevent.department_reported': '部门报到',
    'wevent.department_completed': '部门完成', 'wevent.overdue': '超时未报到', 'wevent.closed': '结束',
  },
  en: {
    'whistle.title': 'Whistle', 'whistle.node': 'Where', 'whistle.supervisor': 'Supervised by',
    'whistle.reported_at': 'Reported in', 'whistle.completed_at': 'Completed',
    'whistle.outcome': 'Outcome', 'whistle.countdown': 'Countdown', 'whistle.history': 'History',
    'whistle.live': 'Live', 'whistle.evaluate': 'Evaluate the departments',
    'whistle.timeliness': 'Timeliness', 'whistle.effectiveness': 'Effectiveness',
    'whistle.attitude': 'Attitude', 'whistle.comment': 'Comment', 'whistle.evaluated': 'Evaluated',
    'wevent.blown': 'Blown', 'wevent.department_reported': 'Department reported in',
    'wevent.department_completed': 'Department completed', 'wevent.overdue': 'Overdue',
    'wevent.closed': 'Closed',
  },
});

function summonsTable(whistle, names) {
  const rows = Object.entries(whistle.summons).map(([code, s]) => ({ department: code, ...s }));
  return table([t('whistles.department'), t('whistles.deadline'), t('whistle.countdown'),
    t('whistles.status'), t('whistle.reported_at'), t('whistle.completed_at'),
    t('whistle.outcome')], rows, (s) => [
    names[s.department] || s.department, fmtTime(s.deadline),
    !s.reported_at && whistle.status === 'open' ? ticking(s.deadline, { seconds: true }) : '',
    summonsBadge(s), fmtTime(s.reported_at), fmtTime(s.completed_at), s.outcome || ''],
  { id: 'summons' });
}

function historyList(whistle, names) {
  return h('ol', { class: 'timeline', id: 'history' }, whistle.history.map((e) => {
    const d = e.data || {};
    return h('li', {}, fmtTime(d.at || e.at), ' · ', t(`wevent.${e.type.split('.')[2]}`),
      d.department ? ` · ${names[d.department] || d.department}` : '',
      d.late ? [' ', badge(t('summons.late'), 'red')] : '',
      d.note || d.outcome ? ` · ${d.note || d.outcome}` : '');
  }));
}

const SCORES = ['timeliness', 'effectiveness', 'attitude'];

function evaluateForm(whistle, code, names) {
  const score = (name) => field(t(`whistle.${name}`), h('select', { name },
    [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, `${n}`))));
  const form = h('form', { class: 'row evaluate', 'data-department': code, onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      await api('evaluation', '/v1/department-evaluations', { idempotencyKey: newKey(), body: {
        whistle_id: whistle.id, department: code, comment: form.comment.value.trim(),
        ...Object.fromEntries(SCORES.map((s) => [s, Number(form[s].value)])) } });
      clear(form, names[code] || code, ' ', badge(t('whistle.evaluated'), 'green'));
    });
  } }, h('b', {}, names[code] || code), SCORES.map(score),
  field(t('whistle.comment'), h('input', { name: 'comment', maxlength: 500 })),
  h('button', { type: 'submit' }, t('app.submit')));
  return form;
}

route({
  path: '/whistles/:id', id: 'whistle',
  roles: [...BLOWERS, 'district_staff', 'city_staff', 'department_staff'],
  render: async (root, { id }) => {
    const [names, first] = await Promise.all([departmentNames(),
      api('grid', `/v1/whistles/${id}`)]);
    const head = h('div', {});
    const body = h('div', {});
    let seen = '';
    const draw = (w) => {
      const now = JSON.stringify(w);
      if (now === seen) return; // unchanged: keep the ticking cells as they are
      seen = now;
      clear(head, h('h1', {}, w.title), h('p', { class: 'row' },
        badge(t(`whistle.${w.status}`), w.status === 'open' ? 'amber' : 'green'),
        badge(t(`situation.${w.situation}`)), badge(t(`gmode.${w.mode}`),
          w.mode === 'emergency' ? 'red' : ''),
        `${t('whistle.node')}: ${w.node}`, ` · ${t('whistle.supervisor')}: ${w.supervisor}`,
        ` · ${t('whistles.blown_at')}: ${fmtTime(w.blown_at)}`,
        w.status === 'open' ? h('span', { class: 'muted' }, ` · ${t('whistle.live')}`) : ''));
      clear(body, section(t('whistles.reports'), summonsTable(w, names)),
        w.status === 'closed' && BLOWERS.includes(session.role)
          ? section(t('whistle.evaluate'), Object.keys(w.summons).map(
            (code) => evaluateForm(w, code, names))) : '',
        section(t('whistle.history'), historyList(w, names)));
    };
    draw(first);
    every(2000, async () => draw(await api('grid', `/v1/whistles/${id}`)));
    root.append(head, body);
  },
});
