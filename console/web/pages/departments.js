// Departments as district and city leaders see them: those serving their area, each with
// this month's rank, score, report-in rate and evaluation mean (the evaluation service's
// department ranking), and a link to its board.
import { route } from '../router.js';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { h, table, section, fixed, percent } from '../ui.js';
import { session } from '../session.js';

addMessages({
  zh: {
    'departments.title': '职能部门', 'departments.name': '部门', 'departments.area': '辖区',
    'departments.rank': '本月排名', 'departments.score': '综合得分',
    'departments.report_in_rate': '报到及时率', 'departments.evaluation_mean': '评价均分',
    'departments.board': '看板',
  },
  en: {
    'departments.title': 'Departments', 'departments.name': 'Department',
    'departments.area': 'Jurisdiction', 'departments.rank': 'Rank this month',
    'departments.score': 'Score', 'departments.report_in_rate': 'On-time report-in',
    'departments.evaluation_mean': 'Evaluation mean', 'departments.board': 'Board',
  },
});


route({
  path: '/departments', id: 'departments', nav: 'departments.title', order: 35,
  roles: ['district_staff', 'city_staff', 'admin'],
  render: async (root) => {
    const [departments, ranking] = await Promise.all([
      api('grid', '/v1/departments', { params: { node: session.scope } }),
      api('evaluation', '/v1/rankings/departments')]);
    const rows = Object.fromEntries(ranking.rows.map((r) => [r.department, r]));
    const ranked = departments.map((d) => ({ ...d, kpi: rows[d.code] || {} }))
      .sort((a, b) => (a.kpi.rank ?? 1e9) - (b.kpi.rank ?? 1e9));
    root.append(h('h1', {}, t('departments.title')), section(`${t('departments.rank')} · ${
      ranking.month || ''}`, table([t('departments.rank'), t('departments.name'),
      t('departments.area'), t('departments.score'), t('departments.report_in_rate'),
      t('departments.evaluation_mean'), ''], ranked, (d) => [`${d.kpi.rank ?? '—'}`, d.name,
      d.jurisdiction.join(', '), fixed(d.kpi.score, 3), percent(d.kpi.report_in_rate, 0),
      fixed(d.kpi.evaluation_mean, 2), h('a', { href: `/departments/${d.code}`,
        'data-link': true }, t('departments.board'))], { id: 'departments' })));
  },
});
