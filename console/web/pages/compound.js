// A compound's page: 一个中心 三方共治 — the party branch at the centre, the owners' committee
// and the property company (residents are the third party), the organisations that lead it
// and those beneath it; and, for its keepers, the household register (户) with residents
// waiting to be verified, which is what makes their online votes count.
import { route } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, section, table, badge, act, clear } from '../ui.js';
import { session, isStaff } from '../session.js';

addMessages({
  zh: {
    'cmp.title': '小区共治', 'cmp.centre': '一个中心：小区党支部', 'cmp.owners': '业主委员会',
    'cmp.property': '物业公司', 'cmp.residents': '居民', 'cmp.residents_note': '全体业主与住户',
    'cmp.above': '上级党组织', 'cmp.beneath': '楼栋党小组与党员中心户', 'cmp.secretary': '书记',
    'cmp.term': '任期', 'cmp.contract': '合同期', 'cmp.none': '未组建', 'cmp.register': '户籍登记',
    'cmp.code': '户号', 'cmp.area': '面积（㎡）', 'cmp.members': '住户', 'cmp.verify': '核验',
    'cmp.verified': '已核验', 'cmp.pending': '待核验', 'cmp.node': '节点',
  },
  en: {
    'cmp.title': 'Compound', 'cmp.centre': 'The centre: compound party branch',
    'cmp.owners': "Owners' committee", 'cmp.property': 'Property company',
    'cmp.residents': 'Residents', 'cmp.residents_note': 'every owner and household',
    'cmp.above': 'Leading party organisations', 'cmp.beneath': 'Building groups and households',
    'cmp.secretary': 'Secretary', 'cmp.term': 'Term', 'cmp.contract': 'Contract',
    'cmp.none': 'not formed', 'cmp.register': 'Household register', 'cmp.code': 'Household',
    'cmp.area': 'Area (m²)', 'cmp.members': 'Residents', 'cmp.verify': 'Verify',
    'cmp.verified': 'verified', 'cmp.pending': 'waiting', 'cmp.node': 'Node',
  },
});

function party(title, body, id) {
  return h('div', { class: 'card', id }, h('h2', {}, title), ...body);
}

function centre(page) {
  const c = page.centre;
  return party(t('cmp.centre'), c ? [h('b', {}, c.name), h('p', {},
    `${t('cmp.secretary')}: ${c.secretary.name}`)] : [h('p', { class: 'muted' }, t('cmp.none'))],
  'centre');
}

function body(title, b, termLabel, id) {
  return party(title, b ? [h('b', {}, b.name), h('p', {}, `${termLabel}: ${b.term_from} – `
    + `${b.term_to}`), b.contact ? h('p', {}, b.contact) : null]
    : [h('p', { class: 'muted' }, t('cmp.none'))], id);
}

function orgs(list) {
  return table([t('cmp.node'), '', t('cmp.secretary')], list, (o) => [o.node, o.name,
    o.secretary.name]);
}

async function register(path) {
  const box = h('div', { id: 'register' });
  // The register is a read model that catches up a moment after a verification; the
  // command's own answer already holds the household as it now is, so the row takes that.
  const draw = (rows) => clear(box, table([t('cmp.code'), t('cmp.node'), t('cmp.area'),
    t('cmp.members')], rows, (hh) => [hh.code, hh.node, hh.area, hh.residents.map((m) => h(
    'div', {}, m.resident, ' ', m.relation || '', ' ', m.verified
      ? badge(t('cmp.verified'), 'green')
      : [badge(t('cmp.pending'), 'amber'), ' ', h('button', { 'data-verify': m.resident,
        onclick: (e) => act(e.target, async () => {
          const now = await api('grid', `/v1/households/${hh.code}/residents/${m.resident}/verify`,
            { body: {}, idempotencyKey: newKey() });
          draw(rows.map((r) => (r.code === now.code ? { ...r, residents: now.residents } : r)));
        }) }, t('cmp.verify'))]))]));
  draw(await api('grid', '/v1/households', { params: { node: path } }));
  return box;
}

async function render(root, params) {
  const path = params.path || session.scope;
  const page = await api('grid', `/v1/nodes/${path}/co-governance`);
  root.append(h('h1', {}, t('cmp.title'), ' ', h('small', { class: 'muted' }, path)),
    h('div', { class: 'grid2 parties' }, centre(page),
      body(t('cmp.owners'), page.owners_committee, t('cmp.term'), 'owners-committee'),
      body(t('cmp.property'), page.property_company, t('cmp.contract'), 'property-company'),
      party(t('cmp.residents'), [h('p', {}, t('cmp.residents_note'))], 'residents')),
    section(t('cmp.above'), orgs(page.above)), section(t('cmp.beneath'), orgs(page.beneath)));
  if (isStaff() && session.role !== 'department_staff') {
    root.append(section(t('cmp.register'), await register(path)));
  }
}

const READERS = ['resident', 'grid_worker', 'compound_head', 'building_head', 'unit_head',
  'info_officer', 'community_staff', 'street_staff', 'district_staff', 'city_staff', 'admin',
  'party_member', 'volunteer'];
route({ path: '/compound', id: 'compound', nav: 'cmp.title', order: 40, roles: READERS,
  render: (root) => render(root, {}) });
route({ path: '/compound/:path', id: 'compound-node', roles: READERS, render });
