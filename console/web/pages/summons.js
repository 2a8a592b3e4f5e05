// What the whistle screens share (no routes here): department names, situation and mode
// words, a summons' state as a badge, and polling that stops when the screen is left.
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { badge } from '../ui.js';

addMessages({
  zh: {
    'situation.law_enforcement': '综合执法', 'situation.key_task': '重点工作',
    'situation.emergency': '应急处置', 'gmode.daily': '日常模式', 'gmode.emergency': '应急模式',
    'summons.awaiting': '待报到', 'summons.on_time': '按时报到', 'summons.late': '迟到报到',
    'summons.overdue': '超时未报到', 'summons.done': '已完成', 'summons.done_late': '已完成（曾迟到）',
    'whistle.open': '进行中', 'whistle.closed': '已结束',
  },
  en: {
    'situation.law_enforcement': 'Law enforcement', 'situation.key_task': 'Key task',
    'situation.emergency': 'Emergency', 'gmode.daily': 'Daily mode',
    'gmode.emergency': 'Emergency mode', 'summons.awaiting': 'Awaiting report-in',
    'summons.on_time': 'Reported on time', 'summons.late': 'Reported late',
    'summons.overdue': 'Overdue', 'summons.done': 'Completed',
    'summons.done_late': 'Completed (was late)', 'whistle.open': 'Open',
    'whistle.closed': 'Closed',
  },
});

let names = null;

// code → name for every department (one request per page load).
export async function departmentNames() {
  if (!names) {
    const all = await api('grid', '/v1/departments');
    names = Object.fromEntries(all.map((d) => [d.code, d.name]));
  }
  return names;
}

// One summons, from the aggregate (`overdue`) or the read model (`overdue_at`, `late`), as
// the people waiting on it read it. A report-in after the deadline is late even before the
// watcher has marked the summons overdue.
export function summonsState(s, now = Date.now()) {
  const past = now > new Date(s.deadline).getTime();
  const late = s.late ?? (s.reported_at ? new Date(s.reported_at) > new Date(s.deadline) : false);
  if (s.completed_at) return late || s.overdue || s.overdue_at ? 'done_late' : 'done';
  if (s.reported_at) return late ? 'late' : 'on_time';
  return s.overdue || s.overdue_at || past ? 'overdue' : 'awaiting';
}

const KIND = { awaiting: 'amber', on_time: 'green', late: 'red', overdue: 'red', done: 'green',
  done_late: 'amber' };

export function summonsBadge(s) {
  const state = summonsState(s);
  const b = badge(t(`summons.${state}`), KIND[state]);
  b.dataset.state = state;
  return b;
}

// Call fn now and every `ms` until the screen is left; a failed poll waits for the next one.
export function every(ms, fn) {
  const timer = setInterval(() => fn().catch(() => {}), ms);
  window.addEventListener('gz:leave', () => clearInterval(timer), { once: true });
  return timer;
}
