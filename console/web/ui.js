// DOM helpers. Residents' words only ever become text nodes (never markup): h() sets
// textContent for strings, and there is no innerHTML anywhere in the console.
import { t } from './i18n.js';

// h('button', {class: 'x', onclick: fn, 'data-id': 3}, 'text', childNode, [more])
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value' && 'value' in el) el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function toast(message, kind = 'info') {
  const box = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    message);
  document.getElementById('toasts').append(box);
  setTimeout(() => box.remove(), 5000);
}

// Run an async action from a button: disabled while it runs, the service's reason on failure.
export async function act(button, fn, done) {
  if (button) button.disabled = true;
  try {
    const result = await fn();
    if (done) toast(done, 'ok');
    return result;
  } catch (err) {
    toast(err.message || String(err), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return d.toLocaleString(document.documentElement.lang || 'zh-CN', { hour12: false });
}

// "2h 05m left" / "overdue 15m": a deadline as the people racing it read it. With `seconds`,
// the last hour shows minutes and seconds (a whistle's report-in may be minutes away).
export function countdown(deadline, now = Date.now(), seconds = false) {
  if (!deadline) return { text: '', overdue: false };
  const ms = new Date(deadline).getTime() - now;
  const abs = Math.abs(ms);
  const hours = Math.floor(abs / 3600000);
  const mins = Math.floor((abs % 3600000) / 60000);
  const secs = Math.floor((abs % 60000) / 1000);
  const span = hours >= 48 ? `${Math.floor(hours / 24)}d ${hours % 24}h`
    : seconds && hours === 0 ? `${mins}m ${String(secs).padStart(2, '0')}s`
      : `${hours}h ${String(mins).padStart(2, '0')}m`;
  return ms < 0 ? { text: `${t('app.overdue')} ${span}`, overdue: true }
    : { text: t('app.left', { t: span }), overdue: false };
}

// A countdown cell that ticks every 30 s (every second with `seconds`) until the page is left
// or the cell is replaced.
export function ticking(deadline, { seconds = false } = {}) {
  const el = h('span', { class: 'countdown' });
  const tick = () => {
    const c = countdown(deadline, Date.now(), seconds);
    el.textContent = c.text;
    el.classList.toggle('overdue', c.overdue);
  };
  tick();
  const timer = setInterval(() => (el.isConnected ? tick() : clearInterval(timer)),
    seconds ? 1000 : 30000);
  window.addEventListener('gz:leave', () => clearInterval(timer), { once: true });
  return el;
}

// table(['Title', 'Status'], rows, row => [cell, cell]) ; cells are strings or nodes
export function table(headers, rows, cells, attrs = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, t('app.none'));
  return h('table', attrs,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.map((r) => {
      const tr = h('tr', {}, cells(r).map((c) => h('td', {}, c)));
      return tr;
    })));
}

// field('Title', h('input', {name: 'title'})) → a labelled form row
export function field(label, input) {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

// The values of a form's named inputs as an object (empty strings left out).
export function values(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
  }
  return out;
}

// A figure that may be missing (null: nothing to count yet) shows as a dash, never "NaN".
export function fixed(x, digits = 1) {
  return x === null || x === undefined ? '—' : Number(x).toFixed(digits);
}

// A rate in [0, 1] as a percentage, or a dash when there is none.
export function percent(x, digits = 1) {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`;
}

export function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}
