// The operating mode of one's area (日常/应急): emergency mode shortens every new whistle's
// deadlines. Streets and leaders switch it for their subtree, with a reason; others read it.
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, section, act, badge, field } from '../ui.js';
import { session } from '../session.js';

addMessages({
  zh: {
    'mode.title': '运行模式', 'mode.node': '范围', 'mode.set_by': '由 {node} 设定',
    'mode.never': '从未切换（日常）', 'mode.reason': '切换原因', 'mode.to_emergency': '切换为应急模式',
    'mode.to_daily': '恢复日常模式', 'mode.switched': '已切换',
    'mode.hint': '应急模式下新吹哨的报到时限缩短。',
  },
  en: {
    'mode.title': 'Operating mode', 'mode.node': 'Area', 'mode.set_by': 'set at {node}',
    'mode.never': 'never switched (daily)', 'mode.reason': 'Reason',
    'mode.to_emergency': 'Switch to emergency mode', 'mode.to_daily': 'Back to daily mode',
    'mode.switched': 'Switched', 'mode.hint': 'In emergency mode new whistles get shorter deadlines.',
  },
});

export const MODE_KEEPERS = ['street_staff', 'district_staff', 'city_staff', 'admin'];

export async function modePanel(scope) {
  const box = h('div', { id: 'mode' });
  const draw = (m) => {
    const other = m.mode === 'emergency' ? 'daily' : 'emergency';
    const form = h('form', { class: 'row', id: 'switch-mode', onsubmit: (e) => {
      e.preventDefault();
      act(form.querySelector('button'), async () => {
        draw(await api('grid', `/v1/nodes/${scope}/mode`, { idempotencyKey: newKey(),
          body: { mode: other, reason: form.reason.value.trim() } }));
      }, t('mode.switched'));
    } }, field(t('mode.reason'), h('input', { name: 'reason', required: true, maxlength: 500 })),
    h('button', { type: 'submit', class: other === 'emergency' ? 'primary' : '' },
      t(`mode.to_${other}`)));
    clear(box, h('p', { class: 'row' }, `${t('mode.node')}: ${scope} `,
      h('span', { id: 'current-mode', 'data-mode': m.mode }, badge(t(`gmode.${m.mode}`),
        m.mode === 'emergency' ? 'red' : 'green')),
      h('span', { class: 'muted' }, m.set_at ? t('mode.set_by', { node: m.set_at })
        : t('mode.never'))),
    h('p', { class: 'muted' }, t('mode.hint')),
    MODE_KEEPERS.includes(session.role) ? form : '');
  };
  draw(await api('grid', `/v1/nodes/${scope}/mode`));
  return section(t('mode.title'), box);
}
