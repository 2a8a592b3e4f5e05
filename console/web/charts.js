// ECharts, served from /static/vendor (never a CDN), loaded once on the first screen that
// draws a chart. Charts are disposed when the screen is left.
let loading = null;

export function echartsReady() {
  if (window.echarts) return Promise.resolve(window.echarts);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/static/vendor/echarts.min.js';
    script.onload = () => resolve(window.echarts);
    script.onerror = () => reject(new Error('echarts.min.js is missing: run `make install`'));
    document.head.append(script);
  });
  return loading;
}

export async function chart(el, option) {
  const echarts = await echartsReady();
  const c = echarts.init(el, null, { renderer: 'svg' });
  c.setOption(option);
  const resize = () => c.resize();
  window.addEventListener('resize', resize);
  window.addEventListener('gz:leave', () => {
    window.removeEventListener('resize', resize);
    c.dispose();
  }, { once: true });
  return c;
}
