// Grid workers, compound, building and unit heads, information officers (干事): an inbox of
// the issues under their scope ordered by deadline, the overdue first; on an issue,
// acknowledge, assign, note progress with photos, resolve.
import { route } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, field, values, act, section, table, badge } from '../ui.js';
import { session, HANDLERS } from '../session.js';
import { byDeadline, deadlineCell, issueLink, nextDeadline, photoInput, photoList,
  statusBadge } from './issue-parts.js';

addMessages({
  zh: {
    'hd.inbox': '待办', 'hd.scope': '范围', 'hd.count': '共 {n} 件，超时 {o} 件',
    'hd.ack': '受理', 'hd.assign': '派单', 'hd.progress': '进展', 'hd.resolve': '办结',
    'hd.kind': '承办方类型', 'hd.who_id': '承办方编号', 'hd.who_name': '承办方名称',
    'hd.resolution': '办理结果', 'hd.evidence': '佐证照片', 'hd.acked': '已受理',
    'hd.assigned': '已派单', 'hd.noted': '进展已记录', 'hd.resolved': '已办结',
    'hd.actions': '办理', 'hd.close': '结案', 'hd.closed': '已结案',
    'kind.grid_worker': '网格员', 'kind.building_head': '楼栋长', 'kind.compound_head': '小区长',
    'kind.property_company': '物业公司', 'kind.owners_committee': '业委会',
    'kind.volunteer_team': '志愿者队伍', 'kind.community_staff': '社区工作者', 'kind.department': '职能部门',
  },
  en: {
    'hd.inbox': 'Inbox', 'hd.scope': 'Scope', 'hd.count': '{n} open, {o} overdue',
    'hd.ack': 'Acknowledge', 'hd.assign': 'Assign', 'hd.progress': 'Progress',
    'hd.resolve': 'Resolve', 'hd.kind': 'Assignee kind', 'hd.who_id': 'Assignee id',
    'hd.who_name': 'Assignee name', 'hd.resolution': 'Resolution',
    'hd.evidence': 'Evidence photos', 'hd.acked': 'Acknowledged',
    'hd.assigned': 'Assigned', 'hd.noted': 'Progress noted', 'hd.resolved': 'Resolved',
    'hd.actions': 'Handle', 'hd.close': 'Close', 'hd.closed': 'Closed',
    'kind.grid_worker': 'Grid worker', 'kind.building_head': 'Building head',
    'kind.compound_head': 'Compound head', 'kind.property_company': 'Property company',
    'kind.owners_committee': "Owners' committee", 'kind.volunteer_team': 'Volunteer team',
    'kind.community_staff': 'Community staff', 'kind.department': 'Department',
  },
});

export const ASSIGNEE_KINDS = ['grid_worker', 'building_head', 'compound_head',
  'property_company', 'owners_committee', 'volunteer_team', 'community_staff', 'department'];

// Every open issue under the node (up to 200), sorted by the deadline each races now.
export async function openIssues(node) {
  const page = await api('issues', '/v1/issues', { params: { node, open: true, limit: 200 } });
  return page.items.sort(byDeadline);
}

export function issueBoard(items) {
  const now = Date.now();
  const overdue = items.filter((i) => nextDeadline(i) && new Date(nextDeadline(i)) < now);
  return [h('p', { class: 'muted counts' }, t('hd.count', { n: items.length, o: overdue.length })),
    table([t('is.deadline'), t('is.title'), t('is.status'), t('is.category'), t('is.node'),
      t('is.assignee'), t('is.cosigners')], items, (i) => [deadlineCell(i), issueLink(i),
      statusBadge(i.status), i.category, i.node, i.assignee ? i.assignee.name || i.assignee.id
        : '', i.cosigners || ''],
    { class: 'board', id: 'inbox' })];
}

// A board of the open issues under a node, drawn again every 15 s while it is on screen (the
// issue list has no stream of its own; new issues and changes show up without a reload).
export async function boardScreen(root, title, node) {
  const box = h('div', { class: 'board-box' }, issueBoard(await openIssues(node)));
  root.append(section(title, h('p', {}, `${t('hd.scope')}: `, badge(node)), box));
  const timer = setInterval(() => openIssues(node).then((items) => clear(box,
    issueBoard(items))).catch(() => {}), 15000);
  window.addEventListener('gz:leave', () => clearInterval(timer), { once: true });
}

route({
  path: '/inbox', id: 'inbox', nav: 'hd.inbox', order: 10, roles: HANDLERS,
  render: (root, _, query) => boardScreen(root, t('hd.inbox'), query.node || session.scope),
});

function actionForm(id, title, inputs, send, done) {
  const form = h('form', { class: 'stack action', id, onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button[type=submit]'), () => send(values(form)), done);
  } }, h('b', {}, title), inputs, h('button', { type: 'submit' }, title));
  return form;
}

export function assigneeInputs() {
  return [field(t('hd.kind'), h('select', { name: 'kind' }, ASSIGNEE_KINDS.map((k) =>
    h('option', { value: k }, t(`kind.${k}`))))),
  field(t('hd.who_id'), h('input', { name: 'id', required: true, maxlength: 64 })),
  field(t('hd.who_name'), h('input', { name: 'name', maxlength: 100 }))];
}

// The handler's forms on an issue page, those its status allows; reload() redraws the page.
export function handlerActions(issue, reload) {
  const base = `/v1/issues/${issue.id}`;
  const post = (path, body) => api('issues', `${base}/${path}`, { body,
    idempotencyKey: newKey() }).then(reload);
  const working = ['acknowledged', 'assigned', 'reopened'].includes(issue.status);
  const forms = [];
  if (issue.status === 'raised') {
    forms.push(actionForm('ack-form', t('hd.ack'), field(t('is.note'),
      h('input', { name: 'note', maxlength: 1000 })), (v) => post('acknowledge',
      { note: v.note || '' }), t('hd.acked')));
  }
  if (working) {
    forms.push(actionForm('assign-form', t('hd.assign'), [...assigneeInputs(),
      field(t('is.note'), h('input', { name: 'note', maxlength: 1000 }))],
    (v) => post('assign', { assignee: { kind: v.kind, id: v.id, name: v.name || '' },
      note: v.note || '' }), t('hd.assigned')));
    forms.push(actionForm('progress-form', t('hd.progress'), [
      field(t('is.note'), h('textarea', { name: 'note', required: true, maxlength: 2000 })),
      photoInput()],
    (v) => post('progress', { note: v.note, photos: photoList(v.photos) }), t('hd.noted')));
    forms.push(actionForm('resolve-form', t('hd.resolve'), [
      field(t('hd.resolution'), h('textarea', { name: 'resolution', required: true,
        maxlength: 2000 })),
      photoInput('evidence', t('hd.evidence'))],
    (v) => post('resolve', { resolution: v.resolution, evidence: photoList(v.evidence) }),
    t('hd.resolved')));
  }
  if (issue.status === 'resolved') {
    forms.push(actionForm('close-form', t('hd.close'), field(t('is.note'),
      h('input', { name: 'note', maxlength: 1000 })), (v) => post('close', { note: v.note || '' }),
    t('hd.closed')));
  }
  return forms.length ? section(t('hd.actions'), h('div', { class: 'grid2' }, forms)) : null;
}
