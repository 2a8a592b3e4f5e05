// Pieces the issue screens share (resident, handler, community, the detail page): status and
// category names, the deadline an issue races next, photo links, a timeline. Not a screen
// itself, so it is imported by those modules rather than listed in index.js.
import { api, url } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, badge, fmtTime, ticking, toast } from '../ui.js';

addMessages({
  zh: {
    'st.raised': '待受理', 'st.acknowledged': '已受理', 'st.assigned': '办理中',
    'st.resolved': '已办结', 'st.reopened': '重新办理', 'st.closed': '已关闭', 'st.merged': '已合并',
    'is.title': '标题', 'is.category': '类别', 'is.node': '位置', 'is.status': '状态',
    'is.deadline': '时限', 'is.raised_at': '提出时间', 'is.open': '查看', 'is.photos': '照片',
    'is.timeline': '办理经过', 'is.description': '描述', 'is.contact': '联系方式',
    'is.handling': '承办单位', 'is.level': '分派层级', 'is.assignee': '承办人', 'is.resolution': '办理结果',
    'is.ack_by': '受理时限', 'is.resolve_by': '办结时限', 'is.photo_urls': '已上传的照片及照片链接（每行一个）',
    'is.note': '说明', 'is.by': '经办', 'is.location': '地点', 'is.cosigners': '附议',
    'is.take_photo': '拍照或选择照片', 'is.uploading': '正在上传照片…', 'is.uploaded': '照片已上传',
    'ev.raised': '提出', 'ev.triaged': '分派', 'ev.classified': '改类别', 'ev.acknowledged': '受理',
    'ev.assigned': '派单', 'ev.progress_noted': '进展', 'ev.resolved': '办结', 'ev.reopened': '重办',
    'ev.escalated': '上报', 'ev.supervised': '督办', 'ev.whistled': '吹哨', 'ev.merged': '合并',
    'ev.absorbed': '并入重复诉求', 'ev.closed': '结案', 'ev.cosigned': '附议',
  },
  en: {
    'st.raised': 'Raised', 'st.acknowledged': 'Acknowledged', 'st.assigned': 'Being handled',
    'st.resolved': 'Resolved', 'st.reopened': 'Reopened', 'st.closed': 'Closed',
    'st.merged': 'Merged',
    'is.title': 'Title', 'is.category': 'Category', 'is.node': 'Place', 'is.status': 'Status',
    'is.deadline': 'Deadline', 'is.raised_at': 'Raised at', 'is.open': 'Open',
    'is.photos': 'Photos', 'is.timeline': 'Timeline', 'is.description': 'Description',
    'is.contact': 'Contact', 'is.handling': 'Handled at', 'is.level': 'Level routed to', 'is.assignee': 'Assignee',
    'is.resolution': 'Resolution', 'is.ack_by': 'Acknowledge by', 'is.resolve_by': 'Resolve by',
    'is.photo_urls': 'Uploaded photos and photo links (one a line)', 'is.note': 'Note', 'is.by': 'By',
    'is.location': 'Location', 'is.cosigners': 'Me too',
    'is.take_photo': 'Take or choose photos', 'is.uploading': 'Uploading photos…',
    'is.uploaded': 'Photo uploaded',
    'ev.raised': 'Raised', 'ev.triaged': 'Routed', 'ev.classified': 'Recategorised',
    'ev.acknowledged': 'Acknowledged', 'ev.assigned': 'Assigned', 'ev.progress_noted': 'Progress',
    'ev.resolved': 'Resolved', 'ev.reopened': 'Reopened', 'ev.escalated': 'Escalated',
    'ev.supervised': 'Supervised', 'ev.whistled': 'Whistle blown', 'ev.merged': 'Merged',
    'ev.absorbed': 'Absorbed a duplicate', 'ev.closed': 'Closed', 'ev.cosigned': 'Me too',
  },
});

export const OPEN = ['raised', 'acknowledged', 'assigned', 'reopened'];

// Every event an issue's stream may carry (its SSE `event:` names).
export const ISSUE_EVENTS = ['raised', 'triaged', 'classified', 'acknowledged', 'assigned',
  'progress_noted', 'resolved', 'reopened', 'escalated', 'supervised', 'whistled', 'merged',
  'absorbed', 'closed', 'cosigned'].map((name) => `gongzhi.issue.${name}.v1`);

export function statusBadge(status) {
  const kind = { resolved: 'green', closed: 'green', raised: 'amber', reopened: 'red' }[status];
  return badge(t(`st.${status}`), kind || '');
}

// The category catalog, fetched once per page load: code → name (both levels).
let catalog;
export async function categories() {
  if (!catalog) catalog = await api('issues', '/v1/categories');
  return catalog;
}

export async function categoryNames() {
  const names = {};
  for (const top of await categories()) {
    names[top.code] = top.name;
    for (const item of top.items || []) names[item.code] = `${top.name} · ${item.name}`;
  }
  return names;
}

// The deadline an open issue races now: acknowledging first, then resolving.
export function nextDeadline(issue) {
  if (!OPEN.includes(issue.status)) return null;
  return issue.status === 'raised' || issue.status === 'reopened'
    ? issue.ack_by || issue.resolve_by : issue.resolve_by;
}

export function deadlineCell(issue) {
  const at = nextDeadline(issue);
  return at ? ticking(at) : '';
}

// Overdue first (the longest overdue on top), then the nearest deadline; none last.
export function byDeadline(a, b) {
  const da = nextDeadline(a);
  const db = nextDeadline(b);
  if (!da || !db) return (da ? -1 : 0) + (db ? 1 : 0);
  return new Date(da) - new Date(db);
}

// A photo is an http(s) link, or the URL the issues service answered an upload with
// (`/v1/photos/<id>`, relative to that service: the console reaches it under /api/issues).
const UPLOADED = /^\/v1\/photos\/[A-Za-z0-9_-]{32}$/;
const MAX_BYTES = 5 * 1024 * 1024; // the service refuses more (413)
const LONG_SIDE = 2048; // a photo over the limit is redrawn this large, as a JPEG

export function photoSrc(u) {
  return UPLOADED.test(u) ? url('issues', u) : null;
}

// Uploaded photos as thumbnails opening the full image; links as links (the page may load
// images from its own origin only, so a stranger's server never learns who looked).
export function photoLinks(urls) {
  const shown = (urls || []).filter((u) => UPLOADED.test(u) || /^https?:\/\//i.test(u));
  if (!shown.length) return null;
  return h('ul', { class: 'photos' }, shown.map((u, i) => {
    const src = photoSrc(u);
    return h('li', {}, h('a', { href: src || u, target: '_blank', rel: 'noopener noreferrer' },
      src ? h('img', { class: 'thumb', src, alt: `${t('is.photos')} ${i + 1}`, loading: 'lazy' })
        : `${t('is.photos')} ${i + 1}`));
  }));
}

// A phone's photo may be larger than the service takes: redraw it smaller as a JPEG.
async function fitted(file) {
  if (file.size <= MAX_BYTES || !window.createImageBitmap) return file;
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = h('canvas', { width: Math.round(bitmap.width * scale),
    height: Math.round(bitmap.height * scale) });
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((done) => { canvas.toBlob((b) => done(b || file), 'image/jpeg', 0.85); });
}

// The photo field of a form: the camera (or the gallery) on a phone, each photo uploaded as
// soon as it is picked and its URL added, one a line, to the field `name`, where links may
// be typed too; the form's submit waits while an upload runs (the button is disabled).
export function photoInput(name = 'photos', label = t('is.photos')) {
  const links = h('textarea', { name, rows: 2, placeholder: 'https://…' });
  const thumbs = h('div', { class: 'thumbs' });
  const status = h('span', { class: 'muted upload-status', role: 'status' });
  const picker = h('input', { type: 'file', accept: 'image/*', capture: 'environment',
    multiple: true, class: 'photo-file', 'aria-label': t('is.take_photo'),
    onchange: async () => {
      const submit = picker.form?.querySelector('button[type=submit]');
      const files = [...picker.files];
      picker.disabled = true;
      if (submit) submit.disabled = true;
      status.textContent = t('is.uploading');
      try {
        for (const file of files) {
          const photo = await api('issues', '/v1/photos', { file: await fitted(file) });
          links.value = [links.value.trim(), photo.url].filter(Boolean).join('\n');
          thumbs.append(h('img', { class: 'thumb', src: photoSrc(photo.url),
            alt: file.name, 'data-url': photo.url }));
        }
        status.textContent = t('is.uploaded');
      } catch (err) {
        status.textContent = '';
        toast(err.message || String(err), 'error');
      } finally {
        picker.value = '';
        picker.disabled = false;
        if (submit) submit.disabled = false;
      }
    } });
  return h('div', { class: 'field photo-input', 'data-field': name }, h('span', {}, label),
    h('label', { class: 'photo-pick' }, `${t('is.take_photo')} `, picker), thumbs, status,
    h('label', { class: 'field' }, h('span', { class: 'muted' }, t('is.photo_urls')), links));
}

export function photoList(text) {
  return (text || '').split(/\s+/).map((s) => s.trim()).filter(Boolean);
}

// A history entry (the issue's own events) as one line a person reads.
function describe(entry) {
  const d = entry.data || {};
  const kind = entry.type.split('.')[2] || entry.type;
  const bits = [d.note, d.reason, d.resolution, d.title && kind === 'raised' ? d.title : null,
    d.category && kind === 'classified' ? d.category : null,
    d.assignee ? d.assignee.name || d.assignee.id : null,
    d.to_node || (kind === 'triaged' ? d.handling_node : null)].filter(Boolean);
  return { kind, text: bits.join(' · ') };
}

export function historyTimeline(history) {
  return h('ol', { class: 'timeline' }, (history || []).map((entry) => {
    const { kind, text } = describe(entry);
    const by = entry.by ? entry.by.name || entry.by.role || '' : '';
    return h('li', { 'data-kind': kind },
      h('span', { class: 'muted' }, fmtTime(entry.at), ' '),
      h('b', {}, t(`ev.${kind}`)), text ? ` ${text}` : '', by ? h('span', { class: 'muted' }, ` — ${by}`) : '',
      photoLinks(entry.data && (entry.data.photos || entry.data.evidence)));
  }));
}

// The resident feed's timeline: lines already written for people.
export function feedTimeline(entries) {
  return h('ol', { class: 'timeline' }, (entries || []).map((e) => h('li', { 'data-kind': e.type },
    h('span', { class: 'muted' }, fmtTime(e.at), ' '), e.summary)));
}

export function issueLink(issue) {
  return h('a', { href: `/issues/${issue.id}`, 'data-link': true, class: 'issue-title' },
    issue.title);
}
