// Residents on a phone (说事 and 评事): report a problem at home, follow "my issues" with their
// timelines as they change, rate a resolution, vote in a consultation of their compound.
import { route, go } from '../router.js';
import { api, live, newKey } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, field, values, act, section, fmtTime } from '../ui.js';
import { session } from '../session.js';
import { categories, categoryNames, statusBadge, feedTimeline, issueLink, photoInput, photoList,
  ISSUE_EVENTS } from './issue-parts.js';

addMessages({
  zh: {
    'res.report': '我要报事', 'res.mine': '我的诉求', 'res.votes': '议事投票',
    'res.where': '地点（小区、楼栋或单元）', 'res.what': '一句话说明问题', 'res.detail': '详细情况',
    'res.pick': '请选择', 'res.address': '具体位置（门牌、路段）', 'res.lat': '纬度',
    'res.lng': '经度', 'res.locate': '用我现在的位置', 'res.send': '提交',
    'res.sent': '已提交，社区会尽快处理', 'res.live': '有新进展会自动显示',
    'res.rate': '评价办理结果', 'res.satisfied': '满意', 'res.basically_satisfied': '基本满意',
    'res.unsatisfied': '不满意', 'res.comment': '评价说明（可不填）', 'res.rated': '感谢您的评价',
    'res.rated_as': '您已评价：{v}', 'res.contact_name': '联系人（可不填）',
    'res.contact_phone': '联系电话（可不填）', 'res.contact_note': '联系方式只有承办的工作人员能看到。',
    'res.updated': '诉求有新进展：{title}', 'res.no_votes': '目前没有进行中的议事',
    'res.following': '跟进（重复诉求已合并）', 'res.cosigned': '已附议',
    'res.nearby': '附近已有人反映', 'res.metoo': '我也遇到了', 'res.nearby_hint':
      '如果您要说的问题已经有人反映，点“我也遇到了”即可一起跟进，不必重复提交。',
  },
  en: {
    'res.report': 'Report a problem', 'res.mine': 'My issues', 'res.votes': 'Votes',
    'res.where': 'Where (compound, building or unit)', 'res.what': 'The problem in a line',
    'res.detail': 'Details', 'res.pick': 'Choose', 'res.address': 'Exact place (door, lane)',
    'res.lat': 'Latitude', 'res.lng': 'Longitude', 'res.locate': 'Use my location',
    'res.send': 'Send', 'res.sent': 'Sent: the community will handle it soon',
    'res.live': 'New progress shows up here by itself', 'res.rate': 'Rate the resolution',
    'res.satisfied': 'Satisfied', 'res.basically_satisfied': 'Mostly satisfied',
    'res.unsatisfied': 'Unsatisfied', 'res.comment': 'Comment (optional)',
    'res.rated': 'Thank you for rating', 'res.rated_as': 'You rated it: {v}',
    'res.contact_name': 'Your name (optional)', 'res.contact_phone': 'Phone (optional)',
    'res.contact_note': 'Only the staff handling it see how to reach you.', 'res.updated': 'News on your issue: {title}',
    'res.no_votes': 'No consultation is open now',
    'res.following': 'Following (a duplicate of yours was merged)',
    'res.cosigned': 'You said "me too"', 'res.nearby': 'Already raised near you',
    'res.metoo': 'Me too', 'res.nearby_hint':
      'If your problem is already here, say "me too" to follow it instead of raising it again.',
  },
});

// The places a resident may report at: their home node and what lies under it.
async function places() {
  try {
    const nodes = await api('grid', `/v1/nodes/${session.scope}/subtree`);
    return nodes.filter((n) => !n.retired);
  } catch {
    return [{ path: session.scope, name: session.scope, level: '' }];
  }
}

// Path → name of the places under home (the nearby list and my issues show names).
async function placeNames() {
  return Object.fromEntries((await places()).map((n) => [n.path, n.name]));
}

function categorySelect(tree) {
  return h('select', { name: 'category', required: true },
    h('option', { value: '' }, t('res.pick')),
    tree.map((top) => h('optgroup', { label: top.name },
      (top.items || []).filter((i) => !i.retired).map((i) => h('option', { value: i.code },
        i.name)))));
}

function locationFields() {
  const lat = h('input', { name: 'lat', inputmode: 'decimal', size: 9 });
  const lng = h('input', { name: 'lng', inputmode: 'decimal', size: 9 });
  const locate = h('button', { type: 'button', id: 'locate', onclick: () => {
    navigator.geolocation?.getCurrentPosition((p) => {
      lat.value = p.coords.latitude.toFixed(6);
      lng.value = p.coords.longitude.toFixed(6);
    });
  } }, t('res.locate'));
  return h('div', { class: 'stack' },
    field(t('res.address'), h('input', { name: 'address', maxlength: 200 })),
    h('div', { class: 'row' }, field(t('res.lat'), lat), field(t('res.lng'), lng), locate));
}

function reportBody(v) {
  const body = { node: v.node, title: v.title, category: v.category, channel: 'app',
    description: v.description || '', photos: photoList(v.photos) };
  // Contact details reach only the handling chain (the service decides who sees them).
  if (v.contact_name || v.contact_phone) {
    body.contact = { name: v.contact_name || null, phone: v.contact_phone || null };
  }
  if (v.lat && v.lng) {
    body.location = { lat: Number(v.lat), lng: Number(v.lng), address: v.address || null };
  } else if (v.address) {
    body.description = `${body.description}\n${t('res.address')}: ${v.address}`.trim();
  }
  return body;
}

// Open problems neighbours already raised: follow one with "me too" rather than raise it twice.
async function nearbySection() {
  const [items, names, where] = await Promise.all([
    api('issues', '/v1/me/nearby').catch(() => []), categoryNames(), placeNames()]);
  if (!items.length) return null;
  return section(t('res.nearby'), h('p', { class: 'muted' }, t('res.nearby_hint')),
    h('ul', { class: 'plain', id: 'nearby' }, items.map((i) => h('li', { 'data-id': i.id },
      h('b', {}, i.title), ' ', statusBadge(i.status), h('br'),
      h('span', { class: 'muted' }, `${names[i.category] || i.category} · ${where[i.node]
        || i.node} · `,
        fmtTime(i.raised_at)), ' ',
      h('button', { type: 'button', class: 'metoo', onclick: (e) => act(e.target,
        async () => {
          await api('issues', `/v1/issues/${i.id}/cosign`, { method: 'POST',
            idempotencyKey: newKey() });
          e.target.replaceWith(h('span', { class: 'badge green' }, t('res.cosigned')));
        }) }, t('res.metoo'))))));
}

route({
  path: '/report', id: 'report', nav: 'res.report', order: 10, roles: ['resident'],
  render: async (root) => {
    const [nodes, tree, near] = await Promise.all([places(), categories(), nearbySection()]);
    const form = h('form', { id: 'report-form', class: 'stack', onsubmit: (e) => {
      e.preventDefault();
      act(form.querySelector('button[type=submit]'), async () => {
        const issue = await api('issues', '/v1/issues', { body: reportBody(values(form)),
          idempotencyKey: form.dataset.key });
        go(`/issues/${issue.id}`);
      }, t('res.sent'));
    } },
    field(t('res.where'), h('select', { name: 'node', required: true },
      nodes.map((n) => h('option', { value: n.path }, `${n.name} (${n.path})`)))),
    field(t('is.category'), categorySelect(tree)),
    field(t('res.what'), h('input', { name: 'title', maxlength: 100, required: true })),
    field(t('res.detail'), h('textarea', { name: 'description', maxlength: 4000 })),
    photoInput(),
    locationFields(),
    h('div', { class: 'row' }, field(t('res.contact_name'), h('input', { name: 'contact_name',
      maxlength: 50, autocomplete: 'name' })), field(t('res.contact_phone'), h('input', {
      name: 'contact_phone', type: 'tel', autocomplete: 'tel', maxlength: 20 }))),
    h('p', { class: 'muted' }, t('res.contact_note')),
    h('button', { type: 'submit', class: 'primary' }, t('res.send')));
    form.dataset.key = newKey(); // one key per form: a double tap raises one issue
    root.append(section(t('res.report'), form));
    if (near) root.append(near);
  },
});

// 评事: the reporter (or a follower) rates the current round's resolution once.
export function rateForm(issueId, onDone) {
  const form = h('form', { class: 'stack rate-form', onsubmit: (e) => {
    e.preventDefault();
    const verdict = e.submitter?.value;
    act(e.submitter, async () => {
      await api('evaluation', '/v1/ratings', { body: { issue_id: issueId, verdict,
        comment: form.comment.value.trim() }, idempotencyKey: newKey() });
      clear(form, h('p', { class: 'rated' }, t('res.rated')));
      if (onDone) onDone();
    });
  } },
  h('b', {}, t('res.rate')),
  field(t('res.comment'), h('input', { name: 'comment', maxlength: 500 })),
  h('div', { class: 'row' }, ['satisfied', 'basically_satisfied', 'unsatisfied'].map((v) =>
    h('button', { type: 'submit', name: 'verdict', value: v, 'data-verdict': v },
      t(`res.${v}`)))));
  return form;
}

// The rating buttons, or what I said if I already rated this round's resolution.
export function ratingArea(issueId, onDone) {
  const box = h('div', { class: 'rating' });
  api('evaluation', `/v1/issues/${issueId}/ratings`).then((r) => {
    const mine = r.ratings.find((x) => x.round === r.round && x.rater === session.sub);
    clear(box, mine ? h('p', { class: 'rated' }, t('res.rated_as', { v: t(`res.${mine.verdict}`) }))
      : rateForm(issueId, onDone));
  }).catch(() => clear(box, rateForm(issueId, onDone))); // not heard of yet: the service says
  return box;
}

function myIssueCard(issue, where) {
  return h('article', { class: 'card my-issue', 'data-id': issue.id },
    h('h3', {}, issueLink(issue), ' ', statusBadge(issue.status)),
    h('p', { class: 'muted' }, fmtTime(issue.raised_at), ' · ', where[issue.node] || issue.node,
      issue.following === 'merged' ? ` · ${t('res.following')}` : '',
      issue.following === 'cosigned' ? ` · ${t('res.cosigned')}` : ''),
    feedTimeline(issue.timeline),
    issue.status === 'resolved' ? ratingArea(issue.id) : null);
}

route({
  path: '/mine', id: 'mine', nav: 'res.mine', order: 20, roles: ['resident'],
  render: async (root) => {
    const list = h('div', { id: 'my-issues' });
    const where = await placeNames();
    const draw = async () => {
      const mine = await api('issues', '/v1/me/issues', { params: { limit: 50 } });
      clear(list, mine.items.length ? mine.items.map((i) => myIssueCard(i, where))
        : h('p', { class: 'empty' }, t('app.none')));
    };
    await draw();
    const note = h('p', { class: 'muted live-note' }, t('res.live'));
    // Every change of an issue I follow arrives here; the list is drawn again from the API.
    // A burst of events (raised and triaged come together) makes one redraw.
    let pending;
    live('issues', '/v1/me/events', (event) => {
      note.textContent = t('res.updated', { title: event.title });
      clearTimeout(pending);
      pending = setTimeout(() => draw().catch(() => {}), 150);
    }, undefined, ISSUE_EVENTS);
    root.append(section(t('res.mine'), note, list));
  },
});

route({
  path: '/votes', id: 'votes', nav: 'res.votes', order: 30, roles: ['resident'],
  render: async (root) => {
    const open = await api('issues', '/v1/consultations', { params: { status: 'open' } });
    root.append(section(t('res.votes'), open.length ? h('ul', { class: 'plain' }, open.map((c) =>
      h('li', {}, h('a', { href: `/consultations/${c.id}`, 'data-link': true }, c.topic),
        h('span', { class: 'muted' }, ` · ${c.node} · ${fmtTime(c.opened_at)}`))))
      : h('p', { class: 'empty' }, t('res.no_votes'))));
  },
});
