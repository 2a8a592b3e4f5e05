// Community and street staff (理事): a board of the open issues under them, overdue first; on
// an issue, route it again (triage, classify), escalate it, merge a duplicate into it, and
// open a consultation on it (the consultation screens are in consultation.js).
import { route, go } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, field, values, act, section } from '../ui.js';
import { session, COMMUNITY } from '../session.js';
import { categories } from './issue-parts.js';
import { openIssues, boardScreen } from './handler.js';

addMessages({
  zh: {
    'cm.board': '诉求分派', 'cm.actions': '理事', 'cm.triage': '重新分派层级',
    'cm.level': '承办层级', 'cm.by_category': '按类别（默认）', 'cm.reason': '理由',
    'cm.classify': '改类别', 'cm.escalate': '上报', 'cm.to': '上报到（默认上一级）',
    'cm.merge': '合并重复诉求', 'cm.into': '并入（保留的诉求）', 'cm.consult': '发起议事',
    'cm.triaged': '已重新分派', 'cm.classified': '类别已修改', 'cm.escalated': '已上报',
    'cm.merged': '已合并', 'cm.merge_none': '同一范围内没有其他待办诉求',
    'level.city': '市', 'level.district': '区', 'level.street': '街道', 'level.community': '社区',
    'level.grid': '网格', 'level.compound': '小区', 'level.building': '楼栋', 'level.unit': '单元',
  },
  en: {
    'cm.board': 'Triage', 'cm.actions': 'Triage and route', 'cm.triage': 'Route to a level',
    'cm.level': 'Handling level', 'cm.by_category': "By category (default)",
    'cm.reason': 'Reason', 'cm.classify': 'Change category', 'cm.escalate': 'Escalate',
    'cm.to': 'Escalate to (default: the tier above)', 'cm.merge': 'Merge a duplicate',
    'cm.into': 'Merge into (the issue that stays)', 'cm.consult': 'Open a consultation',
    'cm.triaged': 'Routed again', 'cm.classified': 'Category changed',
    'cm.escalated': 'Escalated', 'cm.merged': 'Merged',
    'cm.merge_none': 'No other open issue in this scope',
    'level.city': 'City', 'level.district': 'District', 'level.street': 'Street',
    'level.community': 'Community', 'level.grid': 'Grid', 'level.compound': 'Compound',
    'level.building': 'Building', 'level.unit': 'Unit',
  },
});

const LEVELS = ['city', 'district', 'street', 'community', 'grid', 'compound', 'building', 'unit'];
const TRIAGERS = [...COMMUNITY, 'admin'];

route({
  path: '/triage', id: 'triage', nav: 'cm.board', order: 10, roles: TRIAGERS,
  render: (root, _, query) => boardScreen(root, t('cm.board'), query.node || session.scope),
});

function form(id, title, inputs, send, done) {
  const el = h('form', { class: 'stack action', id, onsubmit: (e) => {
    e.preventDefault();
    act(el.querySelector('button[type=submit]'), () => send(values(el)), done);
  } }, h('b', {}, title), inputs, h('button', { type: 'submit' }, title));
  return el;
}

const reason = () => field(t('cm.reason'), h('input', { name: 'reason', required: true,
  maxlength: 1000 }));

// The triage forms on an issue page for community and street staff.
export async function communityActions(issue, reload) {
  if (!TRIAGERS.includes(session.role) || !['raised', 'acknowledged', 'assigned', 'reopened']
    .includes(issue.status)) return null;
  const base = `/v1/issues/${issue.id}`;
  const post = (path, body) => api('issues', `${base}/${path}`, { body,
    idempotencyKey: newKey() });
  const [tree, others] = await Promise.all([categories(),
    openIssues(session.scope).catch(() => [])]);
  const duplicates = others.filter((o) => o.id !== issue.id);
  const forms = [
    form('triage-form', t('cm.triage'), [field(t('cm.level'), h('select', { name: 'level' },
      h('option', { value: '' }, t('cm.by_category')), LEVELS.map((l) =>
        h('option', { value: l }, t(`level.${l}`))))), reason()],
    (v) => post('triage', { level: v.level || null, reason: v.reason }).then(reload),
    t('cm.triaged')),
    form('classify-form', t('cm.classify'), field(t('is.category'), h('select',
      { name: 'category' }, tree.map((top) => h('optgroup', { label: top.name },
        (top.items || []).map((i) => h('option', { value: i.code,
          selected: i.code === issue.category }, i.name)))))),
    (v) => post('classify', { category: v.category }).then(reload), t('cm.classified')),
    form('escalate-form', t('cm.escalate'), [field(t('cm.to'), h('input', { name: 'to',
      placeholder: issue.handling_node })), reason()],
    (v) => post('escalate', { to: v.to || null, reason: v.reason }).then(reload),
    t('cm.escalated')),
    // Merge this issue into another: this one closes and its reporters follow the survivor.
    duplicates.length ? form('merge-form', t('cm.merge'), field(t('cm.into'), h('select',
      { name: 'into' }, duplicates.map((d) => h('option', { value: d.id },
        `${d.title} · ${d.node}`)))),
    async (v) => {
      const survivor = await post('merge', { into: v.into });
      go(`/issues/${survivor.id}`);
    }, t('cm.merged')) : h('p', { class: 'muted' }, t('cm.merge_none')),
    h('div', { class: 'stack action' }, h('b', {}, t('cm.consult')),
      h('a', { href: `/consultations/new?issue=${issue.id}&node=${issue.handling_node}`,
        'data-link': true, id: 'open-consultation' }, t('cm.consult'))),
  ];
  return section(t('cm.actions'), h('div', { class: 'grid2' }, forms));
}
