// The UI benchmark (not a test): the customer list with many customers, in Chromium,
// against a running `trellis serve` (bench/run.sh starts one). It reports, each beside
// the API call's own time measured in the same run:
//   - first rows: from navigating to the list to its first row on screen,
//   - scroll: loading 1,000 rows (the first pages by "load more", the rest by scrolling near the end),
//     then scrolling through them: the time a frame takes,
//   - the JS (and CSS) the first load ships, gzipped.
import { chromium } from 'playwright-core';
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:8080';
const user = process.env.TRELLIS_USER;
const password = process.env.TRELLIS_PASSWORD;
const runs = Number(process.env.BENCH_RUNS ?? 5);
const list = '/api/v1/apps/bank_crm/forms/customer/records';
const fields = 'customer_no,name,id_number,mobile,email,relationship_manager,branch,tier,aum,annual_income';

const session = await fetch(`${base}/api/v1/auth/login`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password }),
}).then((r) => r.json());
const auth = { Authorization: `Bearer ${session.token}` };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

// The API's own time: the list's first page as the screen asks for it (30 rows, counted),
// and the pages that make 1,000 rows.
const firstPage = () => fetch(`${base}${list}?fields=${fields}&limit=30&count=true`, { headers: auth }).then((r) => r.json());
async function tenPages() {
  let after = (await firstPage()).next;
  for (let i = 0; i < 10; i += 1) {
    const page = await fetch(`${base}${list}?fields=${fields}&limit=100&after=${after}`, { headers: auth }).then((r) => r.json());
    after = page.next;
  }
}
const total = (await firstPage()).total;
const apiFirst = [];
const apiTen = [];
for (let i = 0; i < runs; i += 1) {
  apiFirst.push(await timed(firstPage));
  apiTen.push(await timed(tenPages));
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const uiFirst = [];
const uiScroll = [];
for (let i = 0; i < runs; i += 1) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.context().addCookies([{ name: 'trellis_session', value: session.token, url: base, httpOnly: true, sameSite: 'Strict' }]);
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: '我的待办' }).waitFor();
  // Warm: the app's code is loaded; what is timed is the list itself. Timed inside the
  // page (a MutationObserver sees the first row the moment it is in the document), not by
  // polling from outside, which would add its own delays.
  const menu = page.getByRole('navigation').getByRole('menuitem', { name: '客户', exact: true });
  await menu.waitFor();
  uiFirst.push(await page.evaluate(() => new Promise((done) => {
    const start = performance.now();
    const seen = () => document.querySelector('.ant-table-tbody tr[data-row-key], .ant-table-tbody-virtual-holder [data-row-key]');
    new MutationObserver((_, observer) => {
      if (seen()) { observer.disconnect(); done(performance.now() - start); }
    }).observe(document.body, { childList: true, subtree: true });
    [...document.querySelectorAll('nav [role=menuitem]')].find((m) => m.textContent?.trim() === '客户')?.click();
  })));
  await page.getByText(/已显示 30 \/ 共/).waitFor();
  uiScroll.push(await page.evaluate(async () => {
    const start = performance.now();
    const shown = () => document.querySelector('.list-footer span')?.textContent ?? '';
    const count = () => Number(/已显示 (\d+)/.exec(shown())?.[1] ?? 0);
    // As the RM does: the first pages by "load more", then scrolling, which loads the
    // next page as the end of the loaded rows comes near.
    const more = () => [...document.querySelectorAll('.list-footer button')].find((b) => /加载更多/.test(b.textContent ?? ''))?.click();
    const grown = (before) => new Promise((done) => {
      const check = () => (count() > before ? done() : requestAnimationFrame(check));
      check();
    });
    while (count() < 1000) {
      const before = count();
      const holder = document.querySelector('.ant-table-tbody-virtual-holder');
      if (holder) holder.scrollTop = holder.scrollHeight;
      else more();
      await grown(before);
    }
    const loaded = performance.now() - start;
    // Then through all of them, 400 px a frame: what a frame costs with 1,000 rows loaded
    // (16.7 ms is the display's own pace, so nothing is dropped).
    const body = document.querySelector('.ant-table-tbody-virtual-holder') ?? document.scrollingElement;
    let frames = 0;
    const scrolling = performance.now();
    for (let y = 0; y <= body.scrollHeight; y += 400) {
      body.scrollTop = y;
      frames += 1;
      await new Promise((r) => requestAnimationFrame(r));
    }
    return { loaded, frame: (performance.now() - scrolling) / frames, frames };
  }));
  await context.close();
}
await browser.close();

// What the first load ships: the scripts and styles index.html names, gzipped.
const dist = new URL('../dist/', import.meta.url).pathname;
const index = readFileSync(join(dist, 'index.html'), 'utf8');
const named = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const gz = (ext) => named.filter((f) => f.endsWith(ext)).reduce((n, f) => n + gzipSync(readFileSync(join(dist, f))).length, 0);
const all = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js')).length;

const ms = (x) => `${x.toFixed(0)} ms`;
console.log(`customers the RM reads: ${total}; runs: ${runs} (medians)`);
console.log(`first rows on screen     ${ms(median(uiFirst))}   API first page ${ms(median(apiFirst))}   ratio ${(median(uiFirst) / median(apiFirst)).toFixed(1)}x`);
const loaded = median(uiScroll.map((r) => r.loaded));
console.log(`1,000 rows loaded        ${ms(loaded)}   API its pages ${ms(median(apiTen))}   ratio ${(loaded / median(apiTen)).toFixed(1)}x`);
console.log(`scrolling them, a frame  ${median(uiScroll.map((r) => r.frame)).toFixed(1)} ms (${uiScroll[0].frames} frames of 400 px; the display's pace is 16.7 ms)`);
console.log(`first-load JS gzipped    ${gz('.js')} B (CSS ${gz('.css')} B; ${all} scripts in the bundle)`);
