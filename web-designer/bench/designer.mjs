// The form designer's benchmark (not a test), against a running `trellis serve --demo`
// (bench/designer.sh starts one): an app with a 150-field form, and a 10-field one as the
// baseline measured in the same run. It reports, as medians of BENCH_RUNS (5):
//   - open: from navigating to the designer to every field on the canvas,
//   - add by keyboard: from Enter on a palette type to the new field on the canvas,
//   - drop: from releasing a dragged palette type over the first field to the new field on the canvas,
// each for both forms and the ratio of the two.
import { chromium } from 'playwright-core';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
const runs = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function call(token, method, path, body) {
  const answer = await fetch(base + path, {
    method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (answer.status >= 400) throw new Error(`${method} ${path}: ${answer.status} ${await answer.text()}`);
  return answer.json().catch(() => null);
}
const login = async (username, password) => (await call('', 'POST', '/api/v1/auth/login', { username, password })).token;

// A form of `n` fields of every kind the palette has, in sections of 10, laid out in 2 columns.
const TYPES = ['text', 'long_text', 'integer', 'decimal', 'boolean', 'date', 'datetime', 'single_select', 'email', 'phone'];
function form(key, n) {
  const fields = Array.from({ length: n }, (_, i) => {
    const type = TYPES[i % TYPES.length];
    const field = { key: `f${i + 1}`, type, label: { 'zh-CN': `字段 ${i + 1}`, en: `Field ${i + 1}` } };
    if (type === 'decimal') Object.assign(field, { precision: 18, scale: 2 });
    if (type === 'single_select') field.options = [{ value: 'a', label: { 'zh-CN': '甲', en: 'A' }, color: 'blue' }, { value: 'b', label: { 'zh-CN': '乙', en: 'B' } }];
    if (i % 10 === 9) field.visible_when = `f${i - 6} > 10`; // the integer of its ten
    return field;
  });
  const sections = Array.from({ length: Math.ceil(n / 10) }, (_, s) => ({
    key: `s${s + 1}`, label: { 'zh-CN': `分组 ${s + 1}`, en: `Section ${s + 1}` }, fields: fields.slice(s * 10, s * 10 + 10).map((f) => f.key),
  }));
  return { key, label: { 'zh-CN': key, en: key }, fields, layout: { columns: 2, sections } };
}

const admin = await login('admin', process.env.TRELLIS_ADMIN_PASSWORD);
await call(admin, 'PUT', '/api/v1/users/chen.analyst', { password: 'the bench analyst password' });
await call(admin, 'POST', '/api/v1/apps', { key: 'bench', name: { 'zh-CN': '基准', en: 'Bench' }, forms: [form('wide', 150), form('narrow', 10)] });
const analyst = await login('chen.analyst', 'the bench analyst password');

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
await context.addCookies([{ name: 'trellis_session', value: analyst, url: base, httpOnly: true, sameSite: 'Strict' }]);
const page = await context.newPage();
page.on('dialog', (d) => d.accept().catch(() => {})); // leaving with unsaved changes asks
const count = () => document.querySelectorAll('.canvas-field').length;

/// Milliseconds from navigation start until the canvas shows `n` fields (polled each frame).
async function open(key, n) {
  await page.goto(`${base}/design/apps/bench/forms/${key}`);
  const at = await page.waitForFunction((want) => document.querySelectorAll('.canvas-field').length >= want && performance.now(), n, { polling: 'raf', timeout: 60_000 });
  return at.jsonValue();
}

/// Milliseconds from `act` (started inside the page's clock) until one more field shows.
async function added(act) {
  const before = await page.evaluate(count);
  await page.evaluate(() => { window.benchStart = performance.now(); });
  await act();
  const at = await page.waitForFunction((n) => document.querySelectorAll('.canvas-field').length > n && performance.now() - window.benchStart, before, { polling: 'raf' });
  return at.jsonValue();
}

const byKeyboard = () => added(async () => {
  await page.getByRole('button', { name: /^添加\s*单行文本\s*字段$/ }).focus();
  await page.keyboard.press('Enter');
});
async function byDrop() {
  const from = await page.getByRole('button', { name: /^添加\s*整数\s*字段$/ }).boundingBox();
  // Onto the first field (both in view at the top): it goes in before it.
  const to = await page.locator('.canvas-field').first().boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(from.x + ((to.x + to.width / 2 - from.x) * i) / 8, from.y + ((to.y + 10 - from.y) * i) / 8);
  return added(() => page.mouse.up());
}

const figures = {};
for (const [key, n] of [['narrow', 10], ['wide', 150]]) {
  const opened = [], keyed = [], dropped = [];
  for (let run = 0; run < runs; run++) {
    opened.push(await open(key, n));
    keyed.push(await byKeyboard());
    await page.evaluate(() => window.scrollTo(0, 0));
    dropped.push(await byDrop());
  }
  figures[key] = { open: median(opened), keyboard: median(keyed), drop: median(dropped) };
}
await browser.close();
const row = (what, k) => `| ${what} | ${figures.narrow[k].toFixed(0)} ms | ${figures.wide[k].toFixed(0)} ms | ${(figures.wide[k] / figures.narrow[k]).toFixed(2)} × |`;
console.log(`medians of ${runs} runs\n| | 10 fields | 150 fields | ratio |\n|---|---|---|---|`);
console.log([row('open, to every field on the canvas', 'open'), row('a field added by keyboard, to the canvas', 'keyboard'), row('a field dropped, to the canvas', 'drop')].join('\n'));
