// Chinese first, English on a switch. Each page adds its own messages with addMessages(), so
// no one file holds every screen's words.
const messages = { zh: {}, en: {} };
export let lang = localStorage.getItem('gz.lang') || 'zh';

export function addMessages(more) {
  for (const l of Object.keys(messages)) Object.assign(messages[l], more[l] || {});
}

// t('key', {n: 3}) → the message with {n} filled in; an unknown key shows as itself.
export function t(key, vars = {}) {
  const text = messages[lang][key] ?? messages.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

export function setLang(l) {
  lang = l;
  localStorage.setItem('gz.lang', l);
  document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}

addMessages({
  zh: {
    'app.signout': '退出', 'app.lang': 'English', 'app.loading': '加载中…',
    'app.forbidden': '无权查看', 'app.notfound': '页面不存在', 'app.error': '出错了',
    'app.retry': '重试', 'app.save': '保存', 'app.cancel': '取消', 'app.submit': '提交',
    'app.none': '暂无', 'app.overdue': '已超时', 'app.left': '剩余 {t}', 'app.asof': '截至',
    'app.export_csv': '导出 CSV', 'app.export_xlsx': '导出 Excel', 'app.done': '已完成',
    'role.resident': '居民', 'role.grid_worker': '网格员', 'role.compound_head': '小区长',
    'role.building_head': '楼栋长', 'role.unit_head': '单元长', 'role.info_officer': '信息员',
    'role.community_staff': '社区工作者', 'role.street_staff': '街道工作人员',
    'role.district_staff': '区领导', 'role.city_staff': '市领导',
    'role.department_staff': '职能部门', 'role.admin': '运维管理员',
    'role.party_member': '党员', 'role.volunteer': '志愿者', 'role.courier': '快递小哥',
  },
  en: {
    'app.signout': 'Sign out', 'app.lang': '中文', 'app.loading': 'Loading…',
    'app.forbidden': 'Not yours to see', 'app.notfound': 'No such page', 'app.error': 'Error',
    'app.retry': 'Retry', 'app.save': 'Save', 'app.cancel': 'Cancel', 'app.submit': 'Submit',
    'app.none': 'Nothing yet', 'app.overdue': 'Overdue', 'app.left': '{t} left',
    'app.asof': 'As of', 'app.export_csv': 'Export CSV', 'app.export_xlsx': 'Export Excel',
    'app.done': 'Done',
    'role.resident': 'Resident', 'role.grid_worker': 'Grid worker',
    'role.compound_head': 'Compound head', 'role.building_head': 'Building head',
    'role.unit_head': 'Unit head', 'role.info_officer': 'Information officer',
    'role.community_staff': 'Community staff', 'role.street_staff': 'Street staff',
    'role.district_staff': 'District leader', 'role.city_staff': 'City leader',
    'role.department_staff': 'Department', 'role.admin': 'Operator',
    'role.party_member': 'Party member', 'role.volunteer': 'Volunteer', 'role.courier': 'Courier',
  },
});
