// 志愿活动: community staff publish an activity with its slots; residents and volunteers take
// a slot and may give it back; staff tick who came and for how long, which the time bank
// turns into points. Every command answers with the activity as its own events hold it, so a
// card is redrawn from the answer (no read model to wait for).
import { route } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, field, section, act, fmtTime } from '../ui.js';
import { session, isStaff } from '../session.js';
import { SERVING } from './wishes.js';

addMessages({
  zh: {
    'act.title': '志愿活动', 'act.publish': '发布活动', 'act.name': '活动名称',
    'act.node': '地点（节点）', 'act.starts': '开始时间', 'act.hours': '时长（小时）',
    'act.slots': '名额', 'act.published': '活动已发布', 'act.list': '活动列表',
    'act.taken': '已报名', 'act.signup': '报名', 'act.cancel': '取消报名',
    'act.signed': '报名成功', 'act.cancelled': '已取消报名', 'act.you': '我已报名',
    'act.attended': '已签到', 'act.record': '记录出勤', 'act.recorded': '出勤已记录，积分已发放',
    'act.nobody': '还没有人报名', 'act.pick': '请勾选到场的人',
  },
  en: {
    'act.title': 'Activities', 'act.publish': 'Publish an activity', 'act.name': 'Title',
    'act.node': 'Where (tier node)', 'act.starts': 'Starts at', 'act.hours': 'Hours',
    'act.slots': 'Slots', 'act.published': 'Activity published', 'act.list': 'Activities',
    'act.taken': 'Signed up', 'act.signup': 'Sign up', 'act.cancel': 'Cancel sign-up',
    'act.signed': 'Signed up', 'act.cancelled': 'Sign-up cancelled', 'act.you': 'You are in',
    'act.attended': 'Attended', 'act.record': 'Record attendance',
    'act.recorded': 'Attendance recorded, points credited', 'act.nobody': 'Nobody yet',
    'act.pick': 'Tick who came',
  },
});

const JOINERS = ['resident', ...SERVING];

function publishForm(onPublished) {
  const soon = new Date(Date.now() + 3 * 86400000);
  soon.setMinutes(soon.getMinutes() - soon.getTimezoneOffset());
  const form = h('form', { id: 'publish-activity', class: 'stack', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      const activity = await api('volunteers', '/v1/activities', { idempotencyKey: newKey(),
        body: { node: form.node.value.trim(), title: form.title.value.trim(),
          starts_at: new Date(form.starts_at.value).toISOString(),
          hours: Number(form.hours.value), slots: Number(form.slots.value) } });
      form.title.value = '';
      onPublished(activity);
    }, t('act.published'));
  } },
  field(t('act.name'), h('input', { name: 'title', required: true, maxlength: 200 })),
  field(t('act.node'), h('input', { name: 'node', value: session.scope, required: true })),
  field(t('act.starts'), h('input', { name: 'starts_at', type: 'datetime-local', required: true,
    value: soon.toISOString().slice(0, 16) })),
  field(t('act.hours'), h('input', { name: 'hours', type: 'number', min: '0.5', max: '24',
    step: '0.5', value: '2', required: true })),
  field(t('act.slots'), h('input', { name: 'slots', type: 'number', min: '1', max: '10000',
    value: '10', required: true })),
  h('button', { type: 'submit', class: 'primary' }, t('act.publish')));
  return section(t('act.publish'), form);
}

// Staff: one checkbox and the hours for each participant not yet recorded.
function attendanceForm(a, redraw) {
  const pending = a.participants.filter((p) => !a.attended.includes(p));
  if (!pending.length) return '';
  const form = h('form', { class: 'stack attendance', onsubmit: (e) => {
    e.preventDefault();
    const attended = pending.filter((p) => form.querySelector(`[data-person="${CSS.escape(p)}"]`)
      .checked).map((p) => ({ person: p, hours: Number(form.querySelector(
      `[data-hours="${CSS.escape(p)}"]`).value) }));
    if (!attended.length) { act(null, async () => { throw new Error(t('act.pick')); }); return; }
    act(form.querySelector('button'), async () => redraw(await api('volunteers',
      `/v1/activities/${a.id}/attendance`, { body: { attended } })), t('act.recorded'));
  } },
  pending.map((p) => h('label', { class: 'row' },
    h('input', { type: 'checkbox', 'data-person': p }), h('span', {}, p),
    h('input', { type: 'number', 'data-hours': p, min: '0.5', max: `${a.hours}`, step: '0.5',
      value: `${a.hours}`, 'aria-label': t('act.hours') }))),
  h('button', { type: 'submit' }, t('act.record')));
  return form;
}

function joinButtons(a, redraw) {
  const base = `/v1/activities/${a.id}/signups`;
  if (a.attended.includes(session.sub)) return h('span', { class: 'badge' }, t('act.attended'));
  if (a.participants.includes(session.sub)) {
    return [h('span', { class: 'badge' }, t('act.you')), h('button', { type: 'button',
      onclick: (e) => act(e.target, async () => redraw(await api('volunteers', `${base}/cancel`,
        { body: { note: '' } })), t('act.cancelled')) }, t('act.cancel'))];
  }
  if (a.participants.length >= a.slots) return '';
  return h('button', { type: 'button', class: 'primary', onclick: (e) => act(e.target,
    async () => redraw(await api('volunteers', base, { body: {} })), t('act.signed')) },
  t('act.signup'));
}

function card(a) {
  const li = h('li', { class: 'card', 'data-activity': a.id });
  const redraw = (now) => {
    clear(li,
      h('p', { class: 'row' }, h('b', {}, now.title)),
      h('p', { class: 'row muted' }, fmtTime(now.starts_at), ` · ${now.node} · ${now.hours} h`),
      h('p', { class: 'row' }, h('span', { class: 'taken' },
        `${t('act.taken')} ${now.participants.length}/${now.slots}`),
      now.attended.length ? h('span', {}, `${t('act.attended')} ${now.attended.length}`) : ''),
      JOINERS.includes(session.role) ? h('div', { class: 'row' }, joinButtons(now, redraw)) : '',
      isStaff() ? (now.participants.length ? attendanceForm(now, redraw)
        : h('p', { class: 'empty' }, t('act.nobody'))) : '');
  };
  redraw(a);
  return li;
}

route({
  path: '/activities', id: 'activities', nav: 'act.title', order: 44,
  roles: [...JOINERS, 'grid_worker', 'compound_head', 'building_head', 'unit_head',
    'info_officer', 'community_staff', 'street_staff', 'admin'],
  render: async (root) => {
    // The list is a read model holding counts only: each card reads its activity whole.
    const rows = await api('volunteers', '/v1/activities');
    const whole = await Promise.all(rows.slice(0, 60).map((r) => api('volunteers', `/v1/activities/${r.id}`)));
    const list = h('ul', { class: 'cards', id: 'activities' }, whole.map(card));
    root.append(h('h1', {}, t('act.title')));
    if (isStaff()) root.append(publishForm((a) => list.prepend(card(a))));
    root.append(section(t('act.list'), whole.length ? '' : h('p', { class: 'empty' },
      t('app.none')), list));
  },
});
