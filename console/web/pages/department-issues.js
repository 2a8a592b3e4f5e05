// The issues assigned to a department, on its board: each resolve-by deadline ticking, and
// the department's own work on them (干事): a progress note, or the resolution.
import { api, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, table, act, fmtTime, ticking } from '../ui.js';

addMessages({
  zh: {
    'dissues.title': '事项', 'dissues.status': '状态', 'dissues.node': '地点',
    'dissues.raised_at': '上报时间', 'dissues.resolve_by': '办结期限', 'dissues.work': '办理',
    'dissues.text': '进展或办结情况', 'dissues.progress': '记录进展', 'dissues.resolve': '办结',
    'dissues.noted': '进展已记录', 'dissues.resolved': '已办结',
  },
  en: {
    'dissues.title': 'Issue', 'dissues.status': 'Status', 'dissues.node': 'Where',
    'dissues.raised_at': 'Raised', 'dissues.resolve_by': 'Resolve by', 'dissues.work': 'Work',
    'dissues.text': 'Progress or resolution', 'dissues.progress': 'Note progress',
    'dissues.resolve': 'Resolve', 'dissues.noted': 'Progress noted', 'dissues.resolved': 'Resolved',
  },
});

function workForm(issue, reload) {
  const send = (e, kind) => {
    const form = e.target.closest('form');
    if (!form.reportValidity()) return;
    const text = form.text.value.trim();
    act(e.target, async () => {
      await api('issues', `/v1/issues/${issue.id}/${kind}`, { idempotencyKey: newKey(),
        body: kind === 'progress' ? { note: text } : { resolution: text } });
      form.text.value = '';
      if (kind === 'resolve') await reload(issue.id);
    }, t(kind === 'progress' ? 'dissues.noted' : 'dissues.resolved'));
  };
  return h('form', { class: 'row act', onsubmit: (e) => e.preventDefault() },
    h('input', { name: 'text', required: true, maxlength: 2000, placeholder: t('dissues.text') }),
    h('button', { type: 'button', onclick: (e) => send(e, 'progress') }, t('dissues.progress')),
    h('button', { type: 'button', class: 'primary', onclick: (e) => send(e, 'resolve') },
      t('dissues.resolve')));
}

// Draws into `box` and returns once drawn. The list is a read model: after a resolution it
// is read again until the resolved issue has left it.
export async function assignedIssues(box) {
  const reload = async (gone) => {
    let page;
    for (let i = 0; i < 20; i += 1) {
      page = await api('issues', '/v1/issues', { params: { open: true } });
      if (!gone || !page.items.some((x) => x.id === gone)) break;
      await new Promise((resolve) => { setTimeout(resolve, 500); });
    }
    clear(box, table([t('dissues.title'), t('dissues.status'), t('dissues.node'),
      t('dissues.raised_at'), t('dissues.resolve_by'), t('dissues.work')], page.items, (i) => [
      h('a', { href: `/issues/${i.id}`, 'data-link': true }, i.title),
      h('span', { 'data-status': i.status }, t(`st.${i.status}`)), i.node,
      fmtTime(i.raised_at), i.resolve_by ? ticking(i.resolve_by) : '',
      i.status === 'resolved' ? '' : workForm(i, reload)], { id: 'assigned-issues' }));
  };
  await reload();
  return box;
}
