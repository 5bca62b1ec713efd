// The import screen, as the bank's integration user drives it from a list: a file chosen,
// its columns matched (as suggested by their names, one more by hand), a mapping without
// its key refused at the key and kept, a dry run, the import, the refused rows shown and
// downloaded as an error file; on a tablet and in English too.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base, call, check, enter, expectVisible, sessionOf, shot } from './harness.mjs';

const banking = await sessionOf('core.banking', process.env.TRELLIS_INTEGRATION_PASSWORD ?? '');

await check('a file is imported from a list: mapped, tried, imported, and its refused rows downloaded', async (page) => {
  const file = join(mkdtempSync(join(tmpdir(), 'import-')), '客户导入.csv');
  writeFileSync(file, '客户号,姓名,手机,风险等级,客户经理工号,备注列\n'
    + 'W0001,吴一,13900009001,R3 平衡型,E1001,x\n'
    + 'W0002,吴二,not-a-mobile,r2,E1001,\n'
    + 'W0003,吴三,13900009003,r9,E1002,\n');
  await enter(page, banking);
  await page.goto(base + '/apps/bank_crm/forms/customer');
  await page.getByRole('button', { name: '导入' }).click();
  await expectVisible(page.getByRole('heading', { name: '导入到「客户」', level: 1 }), 'the import screen');
  await page.getByLabel('选择 CSV 或 XLSX 文件').setInputFiles(file);
  await expectVisible(page.getByText('客户导入.csv：约 3 行'), 'the file and its rows');
  const target = (column) => page.locator('.ant-select', { has: page.getByLabel(`「${column}」导入到`, { exact: true }) });
  await expectVisible(target('手机').getByText('手机', { exact: true }), 'a column matched by its name');
  await expectVisible(target('备注列').getByText('不导入'), 'a column no field takes, left out');
  await expectVisible(page.locator('.ant-select', { has: page.getByLabel('匹配键') }).getByText('客户号'), 'the key suggested');
  await page.getByLabel('「客户经理工号」导入到', { exact: true }).fill('按工号');
  await page.keyboard.press('Enter');
  await expectVisible(target('客户经理工号').getByText('客户经理（按工号）'), 'a relation by its key');
  await page.keyboard.press('Escape');
  await shot(page, 'import-mapping.png', { fullPage: true });
  // Without a column for the key the server refuses, at the key; the mapping stays.
  await page.getByLabel('「客户号」导入到', { exact: true }).fill('不导入');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: '试运行' }).click();
  await expectVisible(page.getByText('没有列导入到匹配键字段'), 'the problem at the key');
  await expectVisible(target('客户经理工号').getByText('客户经理（按工号）'), 'the mapping kept');
  await page.getByLabel('「客户号」导入到', { exact: true }).fill('客户号');
  await page.keyboard.press('Enter');

  await page.getByRole('button', { name: '试运行' }).click();
  await expectVisible(page.getByText('试运行完成，未写入任何数据。'), 'the dry run done');
  const outcome = page.locator('.import-outcome');
  await expectVisible(outcome.getByRole('cell', { name: '3', exact: true }), 'a refused row by its number');
  await expectVisible(outcome.getByText('手机：不是有效的电话号码（数字、空格、- ( ) 及开头的 +）'), 'why, in words, at its field');
  const before = await call(banking, 'GET', '/api/v1/apps/bank_crm/forms/customer/records?search=W0001&fields=name');
  if (before.body.items.length) throw new Error('a dry run wrote a record');
  await shot(page, 'import-dry-run.png', { fullPage: true });

  await page.getByRole('button', { name: /^导\s*入$/ }).click();
  await expectVisible(page.getByText('导入完成。'), 'the import done');
  const after = await call(banking, 'GET', '/api/v1/apps/bank_crm/forms/customer/records?search=W0001&fields=name,relationship_manager');
  if (after.body.items[0]?.name !== '吴一') throw new Error(`not imported: ${JSON.stringify(after.body)}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载错误文件' }).click()]);
  const errors = readFileSync(await download.path(), 'utf8');
  if (download.suggestedFilename() !== '客户导入.errors.csv' || !errors.includes('3,W0002,吴二,not-a-mobile') || !errors.includes('4,W0003')) {
    throw new Error(`the error file ${download.suggestedFilename()}: ${errors}`);
  }
  await expectVisible(page.locator('.import-earlier').getByText('客户导入.csv').first(), 'among the recent imports');
  await shot(page, 'import-done.png', { fullPage: true });
  await page.setViewportSize({ width: 768, height: 1024 });
  await shot(page, 'import-768.png', { fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByText('EN', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: 'Import into Customer', level: 1 }), 'in English');
  await expectVisible(page.getByText('Import done.'), 'its outcome, in English');
  await expectVisible(page.locator('.import-outcome').getByText(/^Mobile: Not a phone number/).first(), 'why, in English');
  await shot(page, 'import-en.png', { fullPage: true });
  await page.getByText('中文', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: '导入到「客户」', level: 1 }), 'back in Chinese');
});
