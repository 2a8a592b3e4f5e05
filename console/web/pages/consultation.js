// Consultations (议事): staff open one on an issue (form, parties, proposals, eligible
// households, threshold rule), watch households vote live, close voting, publish the
// conclusion (which assigns the issue); residents vote for their household on a phone.
// While voting is open the service shows how many households voted on each proposal, not
// the split (the split is published when voting closes, so no one votes with the herd).
import { route, go } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, field, values, act, section, table, fmtTime, badge } from '../ui.js';
import { session, STAFF } from '../session.js';

addMessages({
  zh: {
    'co.list': '议事', 'co.new': '发起议事', 'co.topic': '议题', 'co.form': '形式',
    'co.node': '议事范围', 'co.convenor': '召集人', 'co.convenor_role': '召集人身份',
    'co.parties': '参与方', 'co.party_kind': '类型', 'co.party_name': '名称', 'co.add': '再加一行',
    'co.proposals': '方案（每行一个）', 'co.eligible': '有表决权的户（编号，空格或逗号分隔；不填则为户籍登记的全部住户）',
    'co.rule': '表决规则', 'co.quorum': '参与率下限（如 1/2）', 'co.allow_change': '允许改票',
    'co.open': '发起', 'co.opened': '议事已发起', 'co.turnout': '已投票 {n}/{e} 户',
    'co.household': '我家（户号）', 'co.yes': '赞成', 'co.no': '反对', 'co.abstain': '弃权',
    'co.voted': '已投票', 'co.close': '结束投票', 'co.closed': '投票已结束',
    'co.conclusion': '结论', 'co.adopted': '采纳的方案', 'co.task': '任务',
    'co.conclude': '公示结论并派单', 'co.concluded': '结论已公示', 'co.passed': '通过',
    'co.failed': '未通过', 'co.needed': '需赞成 {n} 户', 'co.assignments': '分工',
    'co.paper': '录入纸质选票', 'co.live': '实时更新中', 'co.proposal': '方案',
    'co.add_proposal': '增加方案', 'co.proposal_added': '方案已加入表决',
    'co.st.open': '投票中', 'co.st.voting_closed': '投票已结束', 'co.st.concluded': '已公示',
    'co.rule.simple_majority_cast': '过半数（按实际投票）', 'co.rule.two_thirds_cast': '三分之二（按实际投票）',
    'co.rule.two_thirds_eligible': '三分之二（按全部有表决权户）',
    'co.form.forum': '恳谈会', 'co.form.council': '议事会', 'co.form.hearing': '听证会',
    'co.form.review': '评议会', 'co.form.joint_meeting': '四方联席会议',
    'co.rule.civil_code_278': '业主共同决定（民法典第278条）', 'co.weight': '计票方式',
    'co.weight.households': '按户', 'co.weight.area': '按面积', 'co.matter': '事项（第278条）',
    'co.matter.ordinary': '一般事项（过半数）', 'co.matter.major': '重大事项（四分之三）',
    'party.party_branch': '党支部',
    'party.resident': '居民', 'party.merchant': '商户', 'party.property_company': '物业',
    'party.owners_committee': '业委会', 'party.department': '职能部门', 'party.police': '派出所',
    'party.other': '其他',
  },
  en: {
    'co.list': 'Consultations', 'co.new': 'Open a consultation', 'co.topic': 'Topic',
    'co.form': 'Form', 'co.node': 'Held at', 'co.convenor': 'Convenor',
    'co.convenor_role': "Convenor's role", 'co.parties': 'Parties', 'co.party_kind': 'Kind',
    'co.party_name': 'Name', 'co.add': 'Add a row', 'co.proposals': 'Proposals (one a line)',
    'co.eligible': 'Eligible households (codes, spaces or commas between; none: every registered household under the node)',
    'co.rule': 'Rule', 'co.quorum': 'Quorum (e.g. 1/2)', 'co.allow_change': 'Votes may change',
    'co.open': 'Open', 'co.opened': 'Consultation opened', 'co.turnout': '{n}/{e} households voted',
    'co.household': 'My household (code)', 'co.yes': 'Yes', 'co.no': 'No',
    'co.abstain': 'Abstain', 'co.voted': 'Vote recorded', 'co.close': 'Close voting',
    'co.closed': 'Voting closed', 'co.conclusion': 'Conclusion', 'co.adopted': 'Adopted',
    'co.task': 'Task', 'co.conclude': 'Publish and assign', 'co.concluded': 'Published',
    'co.passed': 'Passed', 'co.failed': 'Not passed', 'co.needed': '{n} yes needed',
    'co.assignments': 'Who does what', 'co.paper': 'Record a paper ballot', 'co.live': 'Live',
    'co.proposal': 'Proposal', 'co.add_proposal': 'Add a proposal',
    'co.proposal_added': 'Proposal put to the vote',
    'co.st.open': 'Voting', 'co.st.voting_closed': 'Voting closed', 'co.st.concluded': 'Published',
    'co.rule.simple_majority_cast': 'Simple majority of ballots cast',
    'co.rule.two_thirds_cast': 'Two thirds of ballots cast',
    'co.rule.two_thirds_eligible': 'Two thirds of eligible households',
    'co.form.forum': 'Forum', 'co.form.council': 'Council', 'co.form.hearing': 'Hearing',
    'co.form.review': 'Review', 'co.form.joint_meeting': 'Joint meeting',
    'co.rule.civil_code_278': "Owners' decision (Civil Code art. 278)", 'co.weight': 'Weigh by',
    'co.weight.households': 'Households', 'co.weight.area': 'Floor area',
    'co.matter': 'Matter (art. 278)', 'co.matter.ordinary': 'Ordinary (more than half)',
    'co.matter.major': 'Major (three quarters)', 'party.party_branch': 'Party branch',
    'party.resident': 'Residents', 'party.merchant': 'Merchants',
    'party.property_company': 'Property company', 'party.owners_committee': "Owners' committee",
    'party.department': 'Department', 'party.police': 'Police', 'party.other': 'Other',
  },
});

export const CONVENORS = [...STAFF, 'admin'];
const FORMS = ['council', 'forum', 'hearing', 'review', 'joint_meeting'];
const RULES = ['two_thirds_eligible', 'simple_majority_cast', 'two_thirds_cast',
  'civil_code_278'];
const PARTIES = ['resident', 'merchant', 'property_company', 'owners_committee', 'department',
  'police', 'party_branch', 'other'];

route({
  path: '/consultations', id: 'consultations', nav: 'co.list', order: 30,
  roles: ['community_staff', 'street_staff', 'admin'],
  render: async (root, _, query) => {
    const rows = await api('issues', '/v1/consultations', { params: { node: query.node } });
    root.append(section(t('co.list'), table([t('co.topic'), t('co.node'), t('is.status'),
      t('is.raised_at')], rows, (c) => [h('a', { href: `/consultations/${c.id}`,
      'data-link': true }, c.topic), c.node, badge(t(`co.st.${c.status}`)),
    fmtTime(c.opened_at)])));
  },
});

function rows(make) {
  const box = h('div', { class: 'stack rows' }, make());
  return [box, h('button', { type: 'button', class: 'link add-row',
    onclick: () => box.append(make()) }, t('co.add'))];
}

const partyRow = () => h('div', { class: 'row party' }, h('select', { name: 'party_kind' },
  PARTIES.map((k) => h('option', { value: k }, t(`party.${k}`)))),
h('input', { name: 'party_name', placeholder: t('co.party_name'), maxlength: 100 }));

function openBody(form) {
  const v = values(form);
  const kinds = [...form.querySelectorAll('[name=party_kind]')].map((e) => e.value);
  const names = [...form.querySelectorAll('[name=party_name]')].map((e) => e.value.trim());
  const eligible = (v.eligible || '').split(/[\s,，]+/).filter(Boolean);
  const lines = (text) => (text || '').split(/\n/).map((s) => s.trim()).filter(Boolean);
  return {
    node: v.node, issue_id: v.issue_id || null, topic: v.topic, form: v.form,
    convenor: { name: v.convenor, role: v.convenor_role || '' },
    parties: kinds.map((kind, i) => ({ kind, name: names[i] })).filter((p) => p.name),
    proposals: lines(v.proposals).map((title) => ({ title })),
    // None listed: the service takes every household its register has under the node.
    eligible_households: eligible.length ? eligible : null,
    rule: v.rule, allow_change: form.allow_change.checked,
    // The Civil Code's owners' rule sets its own quorum and weighs owners and area both.
    ...(v.rule === 'civil_code_278' ? { matter: v.matter }
      : { quorum: v.quorum || null, weight: v.weight || null }),
  };
}

route({
  path: '/consultations/new', id: 'consultation-new', roles: CONVENORS,
  render: async (root, _, query) => {
    const issue = query.issue ? await api('issues', `/v1/issues/${query.issue}`) : null;
    const form = h('form', { id: 'consultation-form', class: 'stack', onsubmit: (e) => {
      e.preventDefault();
      act(form.querySelector('button[type=submit]'), async () => {
        const c = await api('issues', '/v1/consultations', { body: openBody(form),
          idempotencyKey: form.dataset.key });
        go(`/consultations/${c.id}`);
      }, t('co.opened'));
    } },
    h('input', { type: 'hidden', name: 'issue_id', value: issue ? issue.id : '' }),
    issue ? h('p', {}, `${t('is.title')}: `, issue.title) : null,
    field(t('co.node'), h('input', { name: 'node', required: true,
      value: query.node || session.scope })),
    field(t('co.topic'), h('input', { name: 'topic', required: true, maxlength: 200,
      value: issue ? issue.title : '' })),
    field(t('co.form'), h('select', { name: 'form' }, FORMS.map((f) => h('option', { value: f },
      t(`co.form.${f}`))))),
    h('div', { class: 'row' }, field(t('co.convenor'), h('input', { name: 'convenor',
      required: true, maxlength: 50, value: session.name || '' })),
    field(t('co.convenor_role'), h('input', { name: 'convenor_role', maxlength: 50 }))),
    h('fieldset', {}, h('legend', {}, t('co.parties')), rows(partyRow)),
    field(t('co.proposals'), h('textarea', { name: 'proposals', required: true })),
    field(t('co.eligible'), h('textarea', { name: 'eligible' })),
    h('div', { class: 'row' }, field(t('co.rule'), h('select', { name: 'rule' }, RULES.map((r) =>
      h('option', { value: r }, t(`co.rule.${r}`))))),
    field(t('co.quorum'), h('input', { name: 'quorum', value: '1/2', size: 6 })),
    field(t('co.weight'), h('select', { name: 'weight' }, ['households', 'area'].map((w) =>
      h('option', { value: w }, t(`co.weight.${w}`))))),
    field(t('co.matter'), h('select', { name: 'matter' }, ['ordinary', 'major'].map((m) =>
      h('option', { value: m }, t(`co.matter.${m}`))))),
    h('label', {}, h('input', { type: 'checkbox', name: 'allow_change', checked: true }),
      t('co.allow_change'))),
    h('button', { type: 'submit', class: 'primary' }, t('co.open')));
    form.dataset.key = newKey();
    root.append(section(t('co.new'), form));
  },
});
