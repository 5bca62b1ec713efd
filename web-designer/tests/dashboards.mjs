// The dashboards: the branch manager's, from the menu — its KPI, charts and pivot over his
// branch only, a shared filter driving every card that takes it, a pivot cell drilling to
// the record list with its condition shown — and the RM's own book, in zh-CN and English
// at desktop and tablet widths.
import { readFileSync } from 'node:fs';
import { base, call, check, enter, expectVisible, session, sessionOf, shot } from './harness.mjs';

const manager = process.env.TRELLIS_MANAGER;
const managerPassword = process.env.TRELLIS_MANAGER_PASSWORD;

/// The AUM of the customers `token` reads (of `tier` alone, if given), summed exactly in
/// cents, and how many they are: what the cards must show, whatever earlier checks bought.
async function book(token, tier) {
  const list = await call(token, 'GET', '/api/v1/apps/bank_crm/forms/customer/records?limit=1000&fields=aum,tier');
  const rows = list.body.items.filter((c) => !tier || c.tier === tier);
  const cents = rows.reduce((sum, c) => sum + BigInt(c.aum.replace('.', '')), 0n);
  const fraction = String(cents % 100n).padStart(2, '0');
  return { count: rows.length, plain: `${cents / 100n}.${fraction}`, grouped: `${(cents / 100n).toLocaleString('en-US')}.${fraction}` };
}

await check('the branch manager reads his dashboard, filters it and drills into a cell', async (page) => {
  const token = await sessionOf(manager, managerPassword);
  const branch = await book(token);
  await enter(page, token);
  await page.getByRole('menuitem', { name: '经营看板' }).click();
  await expectVisible(page.getByRole('heading', { name: '经营看板', level: 1 }), 'the dashboard');
  for (const card of ['管户概览', '各层级客户资产', '客户经理管户资产', '每月资金流水', '各支行客户层级分布',
    '预警按时处理率（已到期或已处理）', '每月流失客户', '各支行月末 AUM 及环比', '客户层级迁移（近 12 个月）']) {
    await expectVisible(page.getByRole('heading', { name: card }), card);
  }
  // His branch's AUM, exact and grouped (the customers of 上海陆家嘴支行).
  await expectVisible(page.getByText(branch.grouped), 'the branch AUM at its scale');
  await page.waitForSelector('.dashboard-card svg');
  await shot(page, 'dashboard-manager-zh.png', { fullPage: true });
  // The tier filter reaches every card that takes it: the book now counts the high net worth.
  const tier = page.getByRole('combobox', { name: '客户层级' });
  await tier.click();
  await tier.fill('高净值');
  await page.keyboard.press('Enter');
  await page.waitForURL(/tier=hnw/);
  // Every card that takes the tier reads the high net worth alone: the book's AUM is theirs.
  await page.getByText(branch.grouped).waitFor({ state: 'detached', timeout: 10_000 });
  const tiers = page.locator('.dashboard-card').filter({ has: page.getByRole('heading', { name: '各层级客户资产' }) });
  await expectVisible(tiers.getByText('高净值').first(), 'the high net worth slice');
  if (await tiers.getByText('大众').count()) throw new Error('the mass tier still shown');
  // A pivot cell opens the customers behind it, the condition shown at the list's filter.
  await page.goto(base + '/apps/bank_crm/dashboards/managers');
  const pivot = page.locator('.dashboard-card').filter({ has: page.getByRole('heading', { name: '各支行客户层级分布' }) });
  await pivot.getByRole('button').first().click();
  await page.waitForURL(/\/apps\/bank_crm\/forms\/customer\?where=/);
  await expectVisible(page.getByRole('heading', { name: '客户', level: 1 }), 'the customer list');
  const url = decodeURIComponent(page.url());
  if (!url.includes("branch.name == '") || !url.includes('tier ==')) throw new Error(`drilled to ${url}`);
});

await check('the relationship manager reads her book in both languages and on a tablet', async (page) => {
  await enter(page);
  await page.getByRole('menuitem', { name: '我的管户' }).click();
  await expectVisible(page.getByRole('heading', { name: '我的管户', level: 1 }), 'her book');
  for (const card of ['30 天内到期的存款', '30 天内到期的理财', '我的未完成待办', '各支行月末 AUM 及环比']) {
    await expectVisible(page.getByRole('heading', { name: card, exact: true }), card);
  }
  await page.waitForSelector('.dashboard-card svg');
  await shot(page, 'dashboard-rm-zh.png', { fullPage: true });
  // A card exports as a CSV file of her rows, in her words, the money exact.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: '导出 CSV: 各层级客户资产' }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8');
  const rich = await book(session.token, 'hnw');
  if (!csv.includes(`高净值,${rich.plain},${rich.count}`)) throw new Error(`the CSV, not ${rich.plain}: ${csv}`);
  await page.getByText('EN', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: 'My book', level: 1 }), 'her book in English');
  await expectVisible(page.getByRole('heading', { name: 'Holdings by product' }), 'a card in English');
  await shot(page, 'dashboard-rm-en.png', { fullPage: true });
  await page.setViewportSize({ width: 768, height: 1024 });
  await shot(page, 'dashboard-rm-tablet.png', { fullPage: true });
  await page.getByText('中文', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: '我的管户', level: 1 }), 'back in Chinese');
});

await check('the relationship manager starts her day: what is due, new alerts, maturities and birthdays', async (page) => {
  await enter(page);
  await page.getByRole('menuitem', { name: '我的一天' }).click();
  await expectVisible(page.getByRole('heading', { name: '我的一天', level: 1 }), 'her day');
  for (const card of ['逾期待办', '今日到期', '昨日以来的预警', '15 天内到期', '15 天内到期的理财', '本周生日']) {
    await expectVisible(page.getByRole('heading', { name: card, exact: true }), card);
  }
  // 李伟's deposit maturing within the fortnight, its balance exact; it opens his account.
  const maturities = page.locator('.dashboard-card').filter({ has: page.getByRole('heading', { name: '15 天内到期', exact: true }) });
  // 李伟's fixed-income holding too, which her renewal task is about.
  const holdings = page.locator('.dashboard-card').filter({ has: page.getByRole('heading', { name: '15 天内到期的理财' }) });
  await expectVisible(holdings.getByRole('button', { name: '李伟' }), 'his maturing holding');
  await expectVisible(maturities.getByText('5,000,000.00'), 'the balance at its scale');
  await shot(page, 'my-day-zh.png', { fullPage: true });
  await maturities.getByRole('button', { name: '李伟' }).click();
  await page.waitForURL(/\/apps\/bank_crm\/forms\/deposit_account\/records\/\d+$/);
});
