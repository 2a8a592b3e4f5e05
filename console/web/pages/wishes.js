// 心愿单: 群众点单、社区派单、党员接单. A resident posts a wish and confirms it once served;
// community staff dispatch it to a team or open it to every volunteer; a party member or
// volunteer claims it (exactly one does) and fulfils it with the hours given.
import { route } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, field, section, act, fmtTime, badge, toast } from '../ui.js';
import { session, STAFF } from '../session.js';

addMessages({
  zh: {
    'wishes.title': '微心愿', 'wishes.post': '许个心愿', 'wishes.node': '地点（节点）',
    'wishes.kind': '类型', 'wishes.text': '心愿内容', 'wishes.wanted_by': '希望完成时间',
    'wishes.posted': '心愿已发布', 'wishes.list': '心愿单', 'wishes.status': '状态',
    'wishes.team': '服务队', 'wishes.claimer': '接单人', 'wishes.action': '操作',
    'wishes.dispatch': '派单', 'wishes.open_it': '公开认领', 'wishes.claim': '接单',
    'wishes.fulfil': '已完成', 'wishes.hours': '服务时长（小时）', 'wishes.confirm': '确认完成',
    'wishes.dispute': '有异议', 'wishes.withdraw': '撤回', 'wishes.reason': '原因',
    'wishes.flagged': '逾期未认领', 'wishes.done': '已办理', 'wishes.all': '全部',
    'wishes.reopen': '重新派单',
    'wish.kind.errand': '跑腿代办', 'wish.kind.companionship': '陪伴聊天', 'wish.kind.repair': '维修',
    'wish.kind.meal_delivery': '送餐', 'wish.kind.medical_escort': '陪诊',
    'wish.kind.cleaning': '打扫', 'wish.kind.tutoring': '辅导', 'wish.kind.other': '其他',
    'wish.status.posted': '待派单', 'wish.status.dispatched': '已派单', 'wish.status.open': '待认领',
    'wish.status.claimed': '已接单', 'wish.status.fulfilled': '待确认',
    'wish.status.confirmed': '已确认', 'wish.status.disputed': '有异议',
    'wish.status.withdrawn': '已撤回',
  },
  en: {
    'wishes.title': 'Wishes', 'wishes.post': 'Make a wish', 'wishes.node': 'Where (tier node)',
    'wishes.kind': 'Kind', 'wishes.text': 'The wish', 'wishes.wanted_by': 'Wanted by',
    'wishes.posted': 'Wish posted', 'wishes.list': 'Wish list', 'wishes.status': 'Status',
    'wishes.team': 'Team', 'wishes.claimer': 'Claimed by', 'wishes.action': 'Action',
    'wishes.dispatch': 'Dispatch', 'wishes.open_it': 'Open to all', 'wishes.claim': 'Claim',
    'wishes.fulfil': 'Fulfilled', 'wishes.hours': 'Hours served', 'wishes.confirm': 'Confirm',
    'wishes.dispute': 'Dispute', 'wishes.withdraw': 'Withdraw', 'wishes.reason': 'Reason',
    'wishes.flagged': 'Unclaimed past its date', 'wishes.done': 'Done', 'wishes.all': 'All',
    'wishes.reopen': 'Reopen',
    'wish.kind.errand': 'Errand', 'wish.kind.companionship': 'Companionship',
    'wish.kind.repair': 'Repair', 'wish.kind.meal_delivery': 'Meal delivery',
    'wish.kind.medical_escort': 'Medical escort', 'wish.kind.cleaning': 'Cleaning',
    'wish.kind.tutoring': 'Tutoring', 'wish.kind.other': 'Other',
    'wish.status.posted': 'Posted', 'wish.status.dispatched': 'Dispatched',
    'wish.status.open': 'Open', 'wish.status.claimed': 'Claimed',
    'wish.status.fulfilled': 'Fulfilled', 'wish.status.confirmed': 'Confirmed',
    'wish.status.disputed': 'Disputed', 'wish.status.withdrawn': 'Withdrawn',
  },
});

const KINDS = ['errand', 'companionship', 'repair', 'meal_delivery', 'medical_escort',
  'cleaning', 'tutoring', 'other'];
export const SERVING = ['party_member', 'volunteer', 'courier'];
const DISPATCHERS = STAFF.filter((r) => !['district_staff', 'city_staff'].includes(r));

function postForm(reload) {
  const tomorrow = new Date(Date.now() + 86400000);
  tomorrow.setMinutes(tomorrow.getMinutes() - tomorrow.getTimezoneOffset());
  const form = h('form', { id: 'post-wish', class: 'stack', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      const wish = await api('volunteers', '/v1/wishes', { idempotencyKey: newKey(), body: {
        node: form.node.value.trim(), kind: form.kind.value, text: form.text.value.trim(),
        wanted_by: new Date(form.wanted_by.value).toISOString() } });
      form.text.value = '';
      await reload(wish);
    }, t('wishes.posted'));
  } },
  field(t('wishes.node'), h('input', { name: 'node', value: session.scope, required: true })),
  field(t('wishes.kind'), h('select', { name: 'kind' },
    KINDS.map((k) => h('option', { value: k }, t(`wish.kind.${k}`))))),
  field(t('wishes.text'), h('textarea', { name: 'text', required: true, maxlength: 1000 })),
  field(t('wishes.wanted_by'), h('input', { name: 'wanted_by', type: 'datetime-local',
    required: true, value: tomorrow.toISOString().slice(0, 16) })),
  h('button', { type: 'submit', class: 'primary' }, t('wishes.post')));
  return section(t('wishes.post'), form);
}

// One button (or a small form) that sends one command and reloads the list with its answer.
function command(label, path, body, reload, input) {
  const form = h('form', { class: 'row act', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      const answer = await api('volunteers', path, { body: body(form),
        idempotencyKey: newKey() });
      await reload(answer);
    }, t('wishes.done'));
  } }, input || '', h('button', { type: 'submit' }, label));
  return form;
}

function actions(w, teams, reload) {
  const base = `/v1/wishes/${w.id}`;
  if (DISPATCHERS.includes(session.role) && w.status === 'posted') {
    const pick = h('select', { name: 'team' }, teams.map((tm) => h('option', { value: tm.id },
      tm.name)));
    return [teams.length ? command(t('wishes.dispatch'), `${base}/dispatch`,
      (f) => ({ team_id: f.team.value }), reload, pick) : '',
    command(t('wishes.open_it'), `${base}/dispatch`, () => ({ team_id: null }), reload)];
  }
  if (DISPATCHERS.includes(session.role) && w.status === 'disputed') {
    return command(t('wishes.reopen'), `${base}/reopen`, (f) => ({
      reason: f.reason.value.trim() }), reload, h('input', { name: 'reason', required: true, placeholder: t('wishes.reason') }));
  }
  if (SERVING.includes(session.role)) {
    if (['dispatched', 'open'].includes(w.status)) {
      return command(t('wishes.claim'), `${base}/claim`, () => ({}), reload);
    }
    if (w.status === 'claimed' && w.claimer === session.sub) {
      return command(t('wishes.fulfil'), `${base}/fulfil`, (f) => ({ hours: Number(f.hours.value) }),
        reload, h('input', { name: 'hours', type: 'number', min: '0.5', max: '24', step: '0.5',
          value: '1', 'aria-label': t('wishes.hours'), title: t('wishes.hours') }));
    }
  }
  if (session.role === 'resident') {
    if (w.status === 'fulfilled') {
      return [command(t('wishes.confirm'), `${base}/confirm`, () => ({}), reload),
        command(t('wishes.dispute'), `${base}/dispute`, (f) => ({ reason: f.reason.value.trim() }),
          reload, h('input', { name: 'reason', required: true, placeholder: t('wishes.reason') }))];
    }
    if (['posted', 'dispatched', 'open'].includes(w.status)) {
      return command(t('wishes.withdraw'), `${base}/withdraw`, (f) => ({
        reason: f.reason.value.trim() }), reload, h('input', { name: 'reason', required: true,
        placeholder: t('wishes.reason') }));
    }
  }
  return '';
}

// Cards, not a table: residents and volunteers read their wishes on a phone.
function wishList(rows, teams, reload) {
  if (!rows.length) return h('p', { class: 'empty' }, t('app.none'));
  return h('ul', { class: 'cards', id: 'wishes' }, rows.map((w) => h('li', { class: 'card',
    'data-wish': w.id },
  h('p', { class: 'row' }, h('b', {}, w.text)),
  h('p', { class: 'row muted' }, t(`wish.kind.${w.kind}`), ` · ${w.node} · ${t('wishes.wanted_by')} `,
    fmtTime(w.wanted_by)),
  h('p', { class: 'row' }, h('span', { class: 'wish-status badge', 'data-status': w.status },
    t(`wish.status.${w.status}`)), w.flagged ? badge(t('wishes.flagged'), 'red') : '',
  w.team_name ? h('span', {}, `${t('wishes.team')}: ${w.team_name}`) : '',
  w.claimer ? h('span', {}, `${t('wishes.claimer')}: ${w.claimer}`) : ''),
  h('div', { class: 'row' }, actions(w, teams, reload)))));
}

route({
  path: '/wishes', id: 'wishes', nav: 'wishes.title', order: 45,
  roles: ['resident', ...SERVING, ...DISPATCHERS, 'admin'],
  render: async (root, _, query) => {
    const box = h('div', {});
    const teams = DISPATCHERS.includes(session.role) ? await api('volunteers', '/v1/teams') : [];
    const load = () => api('volunteers', '/v1/wishes', { params: {
      status: query.status, mine: session.role === 'resident' ? true : undefined } });
    // The list is a read model: after a command, look again until it shows the answer.
    const reload = async (answer) => {
      for (let i = 0; i < 20; i += 1) {
        const rows = await load();
        clear(box, wishList(rows, teams, reload));
        const listed = rows.find((w) => w.id === answer?.id);
        // Done when the list shows the answer, or no longer holds a wish the filter now hides.
        if (!answer || (listed ? listed.status === answer.status
          : query.status && query.status !== answer.status)) return;
        await new Promise((resolve) => { setTimeout(resolve, 500); });
      }
      toast(t('app.loading'));
    };
    await reload();
    root.append(h('h1', {}, t('wishes.title')));
    if (session.role === 'resident') root.append(postForm(reload));
    const shown = query.status || '';
    const statuses = ['', 'posted', 'open', 'dispatched', 'claimed', 'fulfilled', 'disputed'];
    const filters = h('div', { class: 'row', id: 'wish-filters' }, statuses.map((st) => h('a', {
      href: st ? `/wishes?status=${st}` : '/wishes', 'data-link': true,
      class: shown === st ? 'on' : '' }, st ? t(`wish.status.${st}`) : t('wishes.all'))));
    root.append(section(t('wishes.list'), filters, box));
  },
});
