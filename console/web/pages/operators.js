// Operators: one page per service — health, each read model's lag behind its log (events and
// seconds), dead letters, the relay on Kafka, failing webhook deliveries — each linked to its
// trace in the tracing UI. Refreshes every five seconds.
import { route, go } from '../router.js';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, clear, section, table, badge, act, fmtTime } from '../ui.js';

const SERVICES = ['issues', 'grid', 'volunteers', 'evaluation'];

addMessages({
  zh: {
    'ops.title': '运维监控', 'ops.health': '运行状态', 'ops.models': '读模型', 'ops.lag': '滞后事件',
    'ops.lag_s': '滞后秒数', 'ops.position': '位置', 'ops.head': '日志末尾', 'ops.dead': '死信',
    'ops.relay': 'Kafka 转发', 'ops.hooks': '投递失败的 Webhook', 'ops.trace': '链路',
    'ops.error': '错误', 'ops.replay': '重放', 'ops.down': '无响应', 'ops.stream': '来源',
    'ops.schema': '读模型', 'ops.version': '版本', 'ops.type': '事件类型', 'ops.at': '时间',
    'ops.attempts': '尝试次数', 'ops.next': '下次重试', 'ops.department': '部门',
    'ops.replayed': '已重放',
    'ops.apis': '接口文档', 'ops.openapi': 'HTTP 接口 (OpenAPI)', 'ops.asyncapi': '事件 (AsyncAPI)',
  },
  en: {
    'ops.title': 'Operations', 'ops.health': 'Health', 'ops.models': 'Read models',
    'ops.lag': 'Events behind', 'ops.lag_s': 'Seconds behind', 'ops.position': 'Position',
    'ops.head': 'Log head', 'ops.dead': 'Dead letters', 'ops.relay': 'Kafka relay',
    'ops.hooks': 'Failing webhook deliveries', 'ops.trace': 'Trace', 'ops.error': 'Error',
    'ops.replay': 'Replay', 'ops.down': 'not answering', 'ops.stream': 'Stream',
    'ops.schema': 'Read model', 'ops.version': 'Version', 'ops.type': 'Event type', 'ops.at': 'At',
    'ops.attempts': 'Attempts', 'ops.next': 'Next attempt', 'ops.department': 'Department',
    'ops.replayed': 'Replayed', 'ops.apis': 'API documents', 'ops.openapi': 'HTTP API (OpenAPI)',
    'ops.asyncapi': 'Events (AsyncAPI)',
  },
});

function traceLink(base, id) {
  return id ? h('a', { href: `${base}/zipkin/traces/${id}`, target: '_blank', rel: 'noopener',
    class: 'trace' }, id.slice(0, 8)) : '';
}

function models(status) {
  const rows = status.read_models.flatMap((m) => m.streams.map((s) => ({ ...s, schema: m.schema,
    dead: m.dead_letters, version: m.version, declared: m.declared_version,
    rebuilding: m.rebuilding })));
  // A schema built at an older version than the code's is being rebuilt (docs/operations.md).
  const version = (r) => (r.version === r.declared ? `v${r.version}`
    : badge(`v${r.version} → v${r.declared}`, r.rebuilding ? 'amber' : 'red'));
  return table([t('ops.schema'), t('ops.version'), t('ops.stream'), t('ops.position'),
    t('ops.head'), t('ops.lag'), t('ops.lag_s'), t('ops.dead')], rows, (r) => [r.schema,
    version(r), r.stream,
    String(r.position ?? JSON.stringify(r.positions ?? {})), String(r.head ?? '—'),
    r.lag_events === null ? '—' : badge(String(r.lag_events), r.lag_events > 0 ? 'amber' : 'green'),
    r.lag_seconds === null ? '—' : r.lag_seconds.toFixed(1),
    r.dead ? badge(String(r.dead), 'red') : '0'], { id: 'read-models' });
}

function deadLetters(service, status) {
  return table([t('ops.schema'), t('ops.type'), t('ops.error'), t('ops.at'), t('ops.trace'), ''],
    status.dead_letters, (d) => [d.schema, d.type || '?', h('code', {}, d.error),
      fmtTime(d.parked_at), traceLink(status.tracing_ui, d.trace_id),
      h('button', { 'data-replay': d.id, onclick: (e) => act(e.target, () => api(service,
        `/v1/ops/dead-letters/${d.schema}/${d.id}/replay`, { method: 'POST', body: {} }),
      t('ops.replayed')) }, t('ops.replay'))], { id: 'dead-letters' });
}

function hooks(status) {
  return table([t('ops.department'), 'URL', t('ops.attempts'), t('ops.error'), t('ops.next'),
    t('ops.trace')], status.failing_webhook_deliveries, (d) => [d.department, d.url,
    String(d.attempts), `${d.last_status ?? ''} ${d.last_error ?? ''}`, fmtTime(d.next_attempt_at),
    traceLink(status.tracing_ui, d.trace_id)], { id: 'failing-hooks' });
}

// What the service answers (OpenAPI) and what it publishes (AsyncAPI: its Kafka topic, and
// on grid the departments' webhooks and stream; docs/asyncapi.md), through the console.
function apiDocuments(service) {
  return h('p', { id: 'api-documents' },
    h('a', { href: `/api/${service}/openapi.json`, target: '_blank', 'data-doc': 'openapi' },
      t('ops.openapi')), ' · ',
    h('a', { href: `/api/${service}/asyncapi.json`, target: '_blank', 'data-doc': 'asyncapi' },
      t('ops.asyncapi')));
}

function draw(root, service, status) {
  const relay = status.relay;
  clear(root,
    h('nav', { class: 'tabs' }, SERVICES.map((s) => h('button', { class: s === service ? 'primary'
      : '', onclick: () => go(`/operators/${s}`) }, s))),
    section(`${service} · ${t('ops.health')}`, h('p', { id: 'health' },
      badge(status.status, status.status === 'ok' ? 'green' : 'red'), ` ${status.transport} · `,
      fmtTime(status.at))),
    section(t('ops.models'), models(status)),
    section(t('ops.dead'), deadLetters(service, status)),
    relay ? section(t('ops.relay'), h('p', { id: 'relay' }, `${relay.topic}: ${relay.position}`
      + ` / ${relay.head} (${t('ops.lag')} ${relay.lag_events})`)) : null,
    'failing_webhook_deliveries' in status ? section(t('ops.hooks'), hooks(status)) : null,
    section(t('ops.apis'), apiDocuments(service)));
}

async function render(root, params) {
  const service = SERVICES.includes(params.service) ? params.service : 'issues';
  const load = async () => {
    try {
      draw(root, service, await api(service, '/v1/ops/status'));
    } catch (err) {
      if (err.status === 403) throw err;
      clear(root, section(service, badge(t('ops.down'), 'red'), ' ', err.message));
    }
  };
  await load();
  const timer = setInterval(load, 5000);
  window.addEventListener('gz:leave', () => clearInterval(timer), { once: true });
}

route({ path: '/operators', id: 'operators', nav: 'ops.title', order: 90, roles: ['admin'],
  render: (root) => render(root, { service: 'issues' }) });
route({ path: '/operators/:service', id: 'operators-service', roles: ['admin'], render });
