// 时间银行: one's points as the account holds them (read every few seconds, so a confirmed
// wish's credit shows up), the statement of every movement, and the rewards on offer where
// one lives, redeemed with a click (refused beyond the balance, with the service's reason).
import { route } from '../router.js';
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, table, section, act, fmtTime, field } from '../ui.js';
import { session } from '../session.js';
import { every } from './summons.js';
import { SERVING } from './wishes.js';

addMessages({
  zh: {
    'bank.title': '时间银行', 'bank.balance': '积分余额', 'bank.earned': '累计获得',
    'bank.hours': '服务时长(小时)', 'bank.statement': '积分明细', 'bank.kind': '类型',
    'bank.points': '积分', 'bank.after': '余额', 'bank.what': '事由', 'bank.at': '时间',
    'bank.rewards': '积分兑换', 'bank.reward': '奖励', 'bank.cost': '所需积分', 'bank.stock': '库存',
    'bank.redeem': '兑换', 'bank.redeemed': '兑换成功', 'bank.no_account': '还没有积分账户',
    'bank.entry.credit': '获得', 'bank.entry.redemption': '兑换', 'bank.entry.gift_sent': '赠出',
    'bank.entry.gift_received': '受赠', 'bank.gift': '赠送积分', 'bank.to': '赠给（居民编号）',
    'bank.note': '留言', 'bank.give': '赠送', 'bank.given': '已赠送',
  },
  en: {
    'bank.title': 'Time bank', 'bank.balance': 'Balance', 'bank.earned': 'Earned in all',
    'bank.hours': 'Hours served', 'bank.statement': 'Statement', 'bank.kind': 'Kind',
    'bank.points': 'Points', 'bank.after': 'Balance after', 'bank.what': 'For',
    'bank.at': 'When', 'bank.rewards': 'Rewards', 'bank.reward': 'Reward', 'bank.cost': 'Points',
    'bank.stock': 'Stock', 'bank.redeem': 'Redeem', 'bank.redeemed': 'Redeemed',
    'bank.no_account': 'No time-bank account yet', 'bank.entry.credit': 'Earned',
    'bank.entry.redemption': 'Redeemed', 'bank.entry.gift_sent': 'Gift sent',
    'bank.entry.gift_received': 'Gift received', 'bank.gift': 'Gift points',
    'bank.to': 'To (person id)', 'bank.note': 'Note', 'bank.give': 'Give',
    'bank.given': 'Points given',
  },
});

async function orNone(promise) {
  try {
    return await promise;
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

function statementPart(st) {
  if (!st) return h('p', { class: 'empty' }, t('bank.no_account'));
  return h('div', {}, h('div', { class: 'kpi' },
    h('div', {}, h('b', {}, `${st.earned}`), t('bank.earned')),
    h('div', {}, h('b', {}, `${st.hours}`), t('bank.hours'))),
  table([t('bank.at'), t('bank.what'), t('bank.points'), t('bank.after')], st.entries, (e) => [
    fmtTime(e.at), `${t(`bank.entry.${e.kind}`)} · ${e.reason || e.reward || e.counterpart
      || e.source || ''}`, `${e.points > 0 ? '+' : ''}${e.points}`, `${e.balance}`],
  { id: 'statement' }));
}

// Points given to another resident: both statements show the gift.
function giftForm(me, refresh) {
  const form = h('form', { id: 'gift', class: 'stack', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), async () => {
      await api('volunteers', `/v1/accounts/${me}/gifts`, { idempotencyKey: newKey(), body: {
        to: form.to.value.trim(), points: Number(form.points.value),
        note: form.note.value.trim() } });
      form.note.value = '';
      await refresh();
    }, t('bank.given'));
  } },
  field(t('bank.to'), h('input', { name: 'to', required: true })),
  field(t('bank.points'), h('input', { name: 'points', type: 'number', min: '1', value: '10',
    required: true })),
  field(t('bank.note'), h('input', { name: 'note', maxlength: 200 })),
  h('button', { type: 'submit', class: 'primary' }, t('bank.give')));
  return section(t('bank.gift'), form);
}

route({
  path: '/timebank', id: 'timebank', nav: 'bank.title', order: 46,
  roles: ['resident', ...SERVING],
  render: async (root) => {
    const me = encodeURIComponent(session.sub);
    const balance = h('b', { id: 'balance' });
    const statement = h('div', {});
    let shown = null;
    const refresh = async () => {
      const account = await orNone(api('volunteers', `/v1/accounts/${me}`));
      const now = account ? account.balance : 0;
      if (now === shown) return;
      // The statement is a read model: it may trail the account by a moment.
      const st = await orNone(api('volunteers', `/v1/accounts/${me}/statement`));
      if (account && (!st || st.balance !== now)) return; // not caught up: look again soon
      shown = now;
      balance.textContent = `${now}`;
      clear(statement, statementPart(st));
    };
    await refresh();
    every(3000, refresh);
    const rewards = await api('volunteers', '/v1/rewards', { params: { node: session.scope } });
    root.append(h('h1', {}, t('bank.title')),
      h('div', { class: 'kpi' }, h('div', {}, balance, t('bank.balance'))),
      section(t('bank.rewards'), table([t('bank.reward'), t('bank.cost'), t('bank.stock'), ''],
        rewards, (r) => [r.name, `${r.points}`, h('span', {}, `${r.stock}`), h('button', {
          type: 'button', 'data-reward': r.code, onclick: (e) => act(e.target, async () => {
            const done = await api('volunteers', `/v1/accounts/${me}/redemptions`, {
              body: { reward_id: r.id }, idempotencyKey: newKey() });
            e.target.closest('tr').children[2].textContent = `${done.reward.stock}`;
            await refresh();
          }, t('bank.redeemed')) }, t('bank.redeem'))], { id: 'rewards' })),
      giftForm(me, refresh), section(t('bank.statement'), statement));
  },
});
