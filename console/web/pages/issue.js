// One issue, for every role that may see it: what was raised, where it stands, its deadlines,
// the whole timeline, and the actions the viewer's role has on it. Whether the viewer may see
// it at all is the issues service's answer (403 → "not yours to see", nothing drawn).
import { route } from '../router.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, section, fmtTime, badge } from '../ui.js';
import { session, STAFF } from '../session.js';
import { categoryNames, deadlineCell, historyTimeline, photoLinks, statusBadge } from
  './issue-parts.js';
import { handlerActions } from './handler.js';
import { communityActions } from './community.js';
import { ratingArea } from './resident.js';
import { whistleLinks } from './whistles.js';

function facts(issue, names) {
  const rows = [
    [t('is.status'), [statusBadge(issue.status), ' ', deadlineCell(issue)]],
    [t('is.category'), names[issue.category] || issue.category],
    [t('is.node'), issue.node],
    [t('is.handling'), h('span', { id: 'handling-node' }, issue.handling_node)],
    [t('is.level'), issue.level ? t(`level.${issue.level}`) : ''],
    [t('is.raised_at'), fmtTime(issue.raised_at)],
    [t('is.cosigners'), issue.cosigners || ''],
    [t('is.ack_by'), fmtTime(issue.ack_by)],
    [t('is.resolve_by'), fmtTime(issue.resolve_by)],
    [t('is.assignee'), issue.assignee ? `${t(`kind.${issue.assignee.kind}`)} · ${
      issue.assignee.name || issue.assignee.id}` : ''],
    [t('is.resolution'), issue.resolution ? [issue.resolution.text,
      photoLinks(issue.resolution.evidence)] : ''],
    [t('is.location'), issue.location ? [issue.location.address || '',
      ` (${issue.location.lat}, ${issue.location.lng})`] : ''],
    // Contact details only reach the handling chain and the reporter: shown when given.
    [t('is.contact'), issue.contact ? [issue.contact.name, issue.contact.phone].filter(Boolean)
      .join(' ') : null],
  ].filter(([, v]) => v !== null && v !== '');
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

async function consultationsOf(issue) {
  const node = session.role === 'resident' ? session.scope : issue.handling_node;
  try {
    const all = await api('issues', '/v1/consultations', { params: { node } });
    return all.filter((c) => c.issue_id === issue.id);
  } catch {
    return [];
  }
}

route({
  path: '/issues/:id', id: 'issue', roles: null,
  render: async (root, params) => {
    const draw = async () => {
      const [issue, names] = await Promise.all([
        api('issues', `/v1/issues/${encodeURIComponent(params.id)}`), categoryNames()]);
      const consultations = await consultationsOf(issue);
      const staff = STAFF.includes(session.role) || session.role === 'admin';
      const actions = staff ? [handlerActions(issue, redraw), await communityActions(issue,
        redraw)] : [];
      clear(root,
        h('article', { class: 'card issue', 'data-status': issue.status },
          h('h1', { id: 'issue-title' }, issue.title),
          issue.description ? h('p', { class: 'description' }, issue.description) : null,
          photoLinks(issue.photos), facts(issue, names),
          issue.merged_into ? h('p', {}, h('a', { href: `/issues/${issue.merged_into}`,
            'data-link': true }, t('st.merged'))) : null),
        session.role === 'resident' && issue.status === 'resolved'
          ? section(t('res.rate'), ratingArea(issue.id)) : null,
        consultations.length ? section(t('co.list'), h('ul', {}, consultations.map((c) =>
          h('li', {}, h('a', { href: `/consultations/${c.id}`, 'data-link': true }, c.topic),
            ' ', badge(t(`co.st.${c.status}`)))))) : null,
        whistleLinks(issue),
        ...actions,
        section(t('is.timeline'), historyTimeline(issue.history)));
    };
    const redraw = () => draw().catch(() => {});
    await draw();
  },
});
