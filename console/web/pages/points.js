// 积分管理 for community staff: credit a civic act they witnessed (文明行为积分), and keep the
// rewards catalogue: what is on offer here, restocked or newly offered.
import { route } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, field, section, act, table } from '../ui.js';
import { session } from '../session.js';

addMessages({
  zh: {
    'points.title': '积分管理', 'points.civic': '文明行为积分', 'points.person': '居民编号',
    'points.points': '积分', 'points.node': '地点（节点）', 'points.reason': '事由',
    'points.credit': '记积分', 'points.credited': '已记入，余额 {balance}',
    'points.rewards': '兑换奖励', 'points.code': '编号', 'points.name': '奖励',
    'points.kind': '类型', 'points.stock': '库存', 'points.restock': '补货',
    'points.quantity': '补货数量', 'points.restocked': '库存已更新', 'points.offer': '新增奖励',
    'points.offered': '奖励已上架',
    'reward.kind.goods': '实物', 'reward.kind.service': '服务', 'reward.kind.honour': '荣誉',
  },
  en: {
    'points.title': 'Points', 'points.civic': 'Civic acts', 'points.person': 'Person id',
    'points.points': 'Points', 'points.node': 'Where (tier node)', 'points.reason': 'For',
    'points.credit': 'Credit', 'points.credited': 'Credited, balance {balance}',
    'points.rewards': 'Rewards', 'points.code': 'Code', 'points.name': 'Reward',
    'points.kind': 'Kind', 'points.stock': 'Stock', 'points.restock': 'Restock',
    'points.quantity': 'Quantity', 'points.restocked': 'Stock updated',
    'points.offer': 'Offer a reward', 'points.offered': 'Reward offered',
    'reward.kind.goods': 'Goods', 'reward.kind.service': 'Service',
    'reward.kind.honour': 'Honour',
  },
});

const KINDS = ['goods', 'service', 'honour'];

function civicForm() {
  const form = h('form', { id: 'civic-act', class: 'stack', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      const person = form.person.value.trim();
      const account = await api('volunteers', `/v1/accounts/${encodeURIComponent(person)}/civic-acts`,
        { idempotencyKey: newKey(), body: { points: Number(form.points.value),
          node: form.node.value.trim(), reason: form.reason.value.trim() } });
      form.reason.value = '';
      form.querySelector('output').textContent = t('points.credited',
        { balance: account.balance });
    });
  } },
  field(t('points.person'), h('input', { name: 'person', required: true })),
  field(t('points.points'), h('input', { name: 'points', type: 'number', min: '1', value: '5',
    required: true })),
  field(t('points.node'), h('input', { name: 'node', value: session.scope, required: true })),
  field(t('points.reason'), h('input', { name: 'reason', required: true, maxlength: 500 })),
  h('button', { type: 'submit', class: 'primary' }, t('points.credit')), h('output', {}));
  return section(t('points.civic'), form);
}

function restockCell(r) {
  const form = h('form', { class: 'row act', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      const now = await api('volunteers', `/v1/rewards/${r.id}/restock`,
        { body: { quantity: Number(form.quantity.value) } });
      form.closest('tr').querySelector('.stock').textContent = `${now.stock}`;
    }, t('points.restocked'));
  } }, h('input', { name: 'quantity', type: 'number', min: '1', value: '10', required: true,
    'aria-label': t('points.quantity') }), h('button', { type: 'submit' }, t('points.restock')));
  return form;
}

function rewardsTable(rewards) {
  return table([t('points.name'), t('points.kind'), t('points.points'), t('points.stock'), ''],
    rewards, (r) => [`${r.name} (${r.code}, ${r.node})`, t(`reward.kind.${r.kind}`),
      `${r.points}`, h('span', { class: 'stock' }, `${r.stock}`), restockCell(r)],
    { id: 'catalogue' });
}

function offerForm(onOffered) {
  const form = h('form', { id: 'offer-reward', class: 'stack', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      const code = form.code.value.trim();
      await api('volunteers', '/v1/rewards', { body: { node: form.node.value.trim(), code, name: form.name.value.trim(), kind: form.kind.value,
        points: Number(form.points.value), stock: Number(form.stock.value) } });
      form.code.value = '';
      form.name.value = '';
      await onOffered(code);
    }, t('points.offered'));
  } },
  field(t('points.node'), h('input', { name: 'node', value: session.scope, required: true })),
  field(t('points.code'), h('input', { name: 'code', required: true })),
  field(t('points.name'), h('input', { name: 'name', required: true, maxlength: 100 })),
  field(t('points.kind'), h('select', { name: 'kind' }, KINDS.map((k) => h('option',
    { value: k }, t(`reward.kind.${k}`))))),
  field(t('points.points'), h('input', { name: 'points', type: 'number', min: '1', value: '50',
    required: true })),
  field(t('points.stock'), h('input', { name: 'stock', type: 'number', min: '0', value: '10',
    required: true })),
  h('button', { type: 'submit' }, t('points.offer')));
  return section(t('points.offer'), form);
}

route({
  path: '/points', id: 'points', nav: 'points.title', order: 47,
  roles: ['grid_worker', 'compound_head', 'building_head', 'unit_head', 'info_officer',
    'community_staff', 'street_staff', 'admin'],
  render: async (root) => {
    const box = h('div', {});
    // The catalogue is a read model: a reward just offered shows once it has caught up.
    const load = async (code) => {
      for (let i = 0; i < 20; i += 1) {
        const rewards = await api('volunteers', '/v1/rewards', { params: { node: session.scope } });
        clear(box, rewardsTable(rewards));
        if (!code || rewards.some((r) => r.code === code)) return;
        await new Promise((resolve) => { setTimeout(resolve, 500); });
      }
    };
    await load();
    root.append(h('h1', {}, t('points.title')), civicForm(),
      section(t('points.rewards'), box), offerForm(load));
  },
});
