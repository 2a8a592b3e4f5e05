// One consultation: its proposals with a live turnout (polled every 3 s while voting is open),
// residents' ballots for their household, and for staff over it: paper ballots, closing the
// vote, publishing the conclusion with who does what (that assigns the issue).
import './consultation.js'; // registers /consultations/new before /consultations/:id
import { route } from '../router.js';
import { api, newKey } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, field, values, act, section, badge, fmtTime } from '../ui.js';
import { session } from '../session.js';
import { assigneeInputs } from './handler.js';
import { CONVENORS } from './consultation.js';

const CHOICES = ['yes', 'no', 'abstain'];

function proposalLine(c, p) {
  const tally = c.tally && c.tally[p.id];
  const eligible = c.eligible_households.length;
  return h('li', { class: 'proposal', 'data-proposal': p.id },
    h('b', {}, `${p.id} ${p.title}`), p.description ? h('p', {}, p.description) : null,
    h('div', { class: 'turnout' }, h('meter', { min: 0, max: eligible,
      value: p.households_voted }), ' ', h('span', { class: 'turnout-count' },
      t('co.turnout', { n: p.households_voted, e: eligible }))),
    tally ? h('p', { class: 'tally' }, `${t('co.yes')} ${tally.yes} · ${t('co.no')} ${tally.no}`
      + ` · ${t('co.abstain')} ${tally.abstain} · ${t('co.needed', { n: tally.yes_needed })} `,
    badge(tally.passed ? t('co.passed') : t('co.failed'), tally.passed ? 'green' : 'red'))
      : null);
}

// The households a resident may vote for: the register's, where the service has one;
// otherwise the resident types their household's code.
async function householdInput() {
  try {
    const mine = await api('issues', '/v1/me/households');
    if (mine.length) {
      return h('select', { name: 'household' }, mine.map((m) => h('option', { value: m.code },
        `${m.code}${m.verified ? '' : ' ?'}`)));
    }
  } catch { /* no register yet */ }
  return h('input', { name: 'household', required: true, maxlength: 64 });
}

async function ballotBox(c, paper) {
  const household = paper ? h('select', { name: 'household' }, c.eligible_households.map((x) =>
    h('option', { value: x }, x))) : await householdInput();
  const form = h('form', { class: 'stack ballot', id: paper ? 'paper-ballot' : 'ballot',
    onsubmit: (e) => {
      e.preventDefault();
      const [proposal, choice] = e.submitter.value.split(':');
      act(e.submitter, () => api('issues', `/v1/consultations/${c.id}/votes`, { body: {
        household: values(form).household, proposal, choice }, idempotencyKey: newKey() }),
      t('co.voted'));
    } },
  field(t('co.household'), household),
  h('ul', { class: 'plain' }, c.proposals.map((p) => h('li', { class: 'row' },
    h('span', {}, `${p.id} ${p.title}`), CHOICES.map((ch) => h('button', { type: 'submit',
      value: `${p.id}:${ch}`, 'data-vote': `${p.id}:${ch}` }, t(`co.${ch}`)))))));
  return section(paper ? t('co.paper') : t('res.votes'), form);
}

// A proposal raised at the meeting, put to the vote while voting is open.
function proposalForm(c, redraw) {
  const form = h('form', { class: 'row', id: 'proposal-form', onsubmit: (e) => {
    e.preventDefault();
    act(form.querySelector('button'), () => api('issues', `/v1/consultations/${c.id}/proposals`,
      { body: values(form), idempotencyKey: newKey() }).then(redraw), t('co.proposal_added'));
  } }, field(t('co.proposal'), h('input', { name: 'title', required: true, maxlength: 200 })),
  h('button', { type: 'submit' }, t('co.add_proposal')));
  return section(t('co.add_proposal'), form);
}

const assignmentRow = () => h('div', { class: 'row assignment' }, assigneeInputs(),
  field(t('co.task'), h('input', { name: 'task', maxlength: 1000 })));

function concludeForm(c, redraw) {
  const passed = c.proposals.filter((p) => c.tally?.[p.id]?.passed);
  const box = h('div', { class: 'stack' }, assignmentRow());
  const form = h('form', { class: 'stack', id: 'conclude-form', onsubmit: (e) => {
    e.preventDefault();
    const adopted = [...form.querySelectorAll('[name=adopted]:checked')].map((x) => x.value);
    const assignments = [...box.querySelectorAll('.assignment')].map((row) => ({
      kind: row.querySelector('[name=kind]').value, id: row.querySelector('[name=id]').value,
      name: row.querySelector('[name=name]').value, task: row.querySelector('[name=task]').value,
    })).filter((a) => a.id && a.task);
    act(form.querySelector('button[type=submit]'), () => api('issues',
      `/v1/consultations/${c.id}/conclude`, { body: { conclusion: values(form).conclusion,
        adopted, assignments }, idempotencyKey: newKey() }).then(redraw), t('co.concluded'));
  } },
  field(t('co.conclusion'), h('textarea', { name: 'conclusion', required: true })),
  h('fieldset', {}, h('legend', {}, t('co.adopted')), passed.map((p) => h('label', {},
    h('input', { type: 'checkbox', name: 'adopted', value: p.id, checked: true }),
    ` ${p.id} ${p.title}`))),
  h('fieldset', {}, h('legend', {}, t('co.assignments')), box, h('button', { type: 'button',
    class: 'link add-row', onclick: () => box.append(assignmentRow()) }, t('co.add'))),
  h('button', { type: 'submit', class: 'primary' }, t('co.conclude')));
  return section(t('co.conclude'), form);
}

function conclusion(c) {
  const done = c.conclusion;
  return section(t('co.conclusion'), h('p', { id: 'conclusion' }, done.text || done.conclusion),
    h('ul', {}, (done.assignments || []).map((a) => h('li', {},
      `${t(`kind.${a.kind}`)} ${a.name || a.id}: ${a.task}`))));
}

route({
  path: '/consultations/:id', id: 'consultation', roles: null,
  render: async (root, params) => {
    const path = `/v1/consultations/${encodeURIComponent(params.id)}`;
    let timer;
    const draw = async () => {
      const c = await api('issues', path);
      // Once voting is closed the turnout stops changing: no tick may redraw the page again
      // (it would wipe a conclusion being typed).
      if (c.status !== 'open') clearInterval(timer);
      const staff = CONVENORS.includes(session.role);
      const list = h('ol', { class: 'proposals plain', id: 'proposals' },
        c.proposals.map((p) => proposalLine(c, p)));
      clear(root, h('article', { class: 'card consultation', 'data-status': c.status },
        h('h1', {}, c.topic), h('p', {}, badge(t(`co.st.${c.status}`)), ' ',
          `${c.form_name} · ${c.node} · ${t(`co.rule.${c.rule}`)}`,
          c.quorum ? ` · ${t('co.quorum')} ${c.quorum}` : ''),
        h('p', { class: 'muted' }, `${t('co.convenor')}: ${c.convenor.name} · `,
          fmtTime(c.opened_at), ' · ', c.parties.map((p) => `${t(`party.${p.kind}`)} ${p.name}`)
            .join('、')),
        c.issue_id ? h('p', {}, h('a', { href: `/issues/${c.issue_id}`, 'data-link': true },
          t('is.open'))) : null,
        c.status === 'open' ? h('p', { class: 'muted live-note' }, t('co.live')) : null, list),
      c.status === 'open' && session.role === 'resident' ? await ballotBox(c, false) : null,
      c.status === 'open' && staff ? await ballotBox(c, true) : null,
      c.status === 'open' && staff ? proposalForm(c, draw) : null,
      c.status === 'open' && staff ? section(t('co.close'), h('button', { id: 'close-voting',
        class: 'primary', onclick: (e) => {
          clearInterval(timer); // this page draws the closed vote itself, once
          act(e.target, () => api('issues', `${path}/close`, { method: 'POST',
            idempotencyKey: newKey() }).then(draw), t('co.closed'));
        } },
        t('co.close'))) : null,
      c.status === 'voting_closed' && staff ? concludeForm(c, draw) : null,
      c.conclusion ? conclusion(c) : null);
      return c;
    };
    const first = await draw();
    if (first.status !== 'open') return;
    // The live turnout: only the numbers are redrawn, so a half-filled form stays as it is.
    timer = setInterval(async () => {
      try {
        const c = await api('issues', path);
        if (c.status !== 'open') {
          clearInterval(timer);
          // Closed elsewhere (another staff member's page): draw it, unless this page did.
          if (!root.querySelector('#close-voting')?.disabled
            && root.querySelector('.consultation')?.dataset.status === 'open') await draw();
          return;
        }
        for (const p of c.proposals) {
          const li = root.querySelector(`[data-proposal="${p.id}"]`);
          li?.replaceWith(proposalLine(c, p));
        }
      } catch { /* the next tick tries again */ }
    }, 3000);
    window.addEventListener('gz:leave', () => clearInterval(timer), { once: true });
  },
});
