// The relationship manager's day in the browser app: signing in, the inbox, lists, the
// customer 360, forms and their refusals, views, bulk changes, a tablet, zones, conflicts.
import { base, browser, check, enter, expectVisible, password, session, shot, signIn, user } from './harness.mjs';

await check('a wrong password is refused at sign-in and what was typed stays', async (page) => {
  await signIn(page, user, 'not the password');
  await expectVisible(page.getByRole('alert').filter({ hasText: '用户名或密码不正确' }), 'the refusal');
  if ((await page.getByLabel('用户名').inputValue()) !== user) throw new Error('the user name was lost');
  await shot(page, 'sign-in-refused.png');
});

await check('an RM signs in to their tasks, switches to English and signs out', async (page) => {
  await signIn(page, user, password);
  await expectVisible(page.getByRole('heading', { name: '我的待办' }), 'the inbox heading');
  // The wrong password typed in the test before is told at this sign-in.
  await expectVisible(page.getByRole('alert').filter({ hasText: '有 1 次密码错误的登录尝试' }), 'the failed attempt, told');
  // The session is in an HttpOnly cookie: no script in the page can read it.
  const readable = await page.evaluate(() => document.cookie + JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
  if (readable.includes('trellis_session') || readable.includes('token')) throw new Error(`the session is readable by scripts: ${readable}`);
  await shot(page, 'failed-attempts-told.png');
  await page.getByRole('button', { name: '知道了' }).click();
  await expectVisible(page.getByRole('listitem').first(), 'a task');
  await shot(page, 'inbox-zh-CN.png', { fullPage: true });
  // Her own tasks, then her queues': hers are not waiting to be claimed. An RM leads no team.
  const hers = page.getByRole('listitem').filter({ hasText: '准备续作方案：李伟' });
  await expectVisible(hers, 'her own task');
  if (await page.getByText('团队', { exact: true }).count()) throw new Error('an RM shown a team');
  await page.getByText('待认领', { exact: true }).click();
  await hers.waitFor({ state: 'detached', timeout: 10_000 }).catch(() => { throw new Error('her own task shown in the queue'); });
  await page.getByText('我的', { exact: true }).click();
  await expectVisible(hers, 'her own task, back under hers');
  await page.getByText('EN', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: 'My tasks' }), 'the English heading');
  // The tasks too, in English once the server has them in the RM's new language.
  await expectVisible(page.getByRole('listitem').filter({ hasText: 'Prepare renewal options' }).first(), 'English titles');
  await page.waitForTimeout(400); // the language switch's sliding animation, for the screenshot
  await shot(page, 'inbox-en.png', { fullPage: true });
  await page.setViewportSize({ width: 768, height: 1024 });
  await shot(page, 'inbox-en-768.png', { fullPage: true });
  await page.getByRole('button', { name: '张敏' }).hover();
  await page.getByText('Sign out').click();
  await expectVisible(page.getByRole('heading', { name: 'Sign in' }), 'the sign-in page, in English still');
});

await check('an RM lists their customers: money grouped, personal data masked', async (page) => {
  await enter(page);
  // The last test left the RM reading English; this one reads Chinese.
  await page.getByText('中文', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: '我的待办' }), 'the inbox, in Chinese');
  await page.getByRole('navigation').getByRole('menuitem', { name: '客户', exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: '客户' }), 'the customer list');
  await expectVisible(page.getByRole('cell', { name: '12,800,000.00' }), "李伟's AUM, grouped at its scale");
  await expectVisible(page.getByRole('cell', { name: '110***********0001' }), 'his ID number, masked');
  const rows = await page.getByRole('row').count();
  if (rows !== 4) throw new Error(`the RM's three customers and the header row, not ${rows} rows`);
  await shot(page, 'customers-zh-CN.png', { fullPage: true });
  // Sorted by the server, by clicking a column: AUM up, then down.
  const aum = page.getByRole('columnheader', { name: /管理资产/ });
  const first = () => page.getByRole('row').nth(1);
  await aum.click();
  await expectVisible(first().filter({ hasText: '356,000.75' }), 'the smallest AUM first');
  await aum.click();
  await expectVisible(first().filter({ hasText: '12,800,000.00' }), 'the largest AUM first');
});

await check('an RM completes a task from the inbox with its form, refused first at the field', async (page) => {
  await enter(page);
  await page.getByText('中文', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: '我的待办' }), 'the inbox, in Chinese');
  await page.getByRole('button', { name: /^打开: 准备续作方案：李伟/ }).click();
  const drawer = page.getByRole('dialog');
  await expectVisible(page.getByLabel('方案一'), 'the task form');
  await drawer.getByRole('button', { name: /完\s*成/ }).click();
  // The server's refusal, under the field it names.
  await expectVisible(page.getByText('请填写方案一'), 'the refusal at its field, by its label, in Chinese');
  await shot(page, 'task-refused.png');
  await page.getByLabel('方案一').fill('均衡');
  await page.getByLabel('方案一').press('Enter');
  await drawer.getByRole('button', { name: /完\s*成/ }).click();
  await drawer.waitFor({ state: 'hidden', timeout: 10_000 });
  const left = page.getByRole('listitem').filter({ hasText: '准备续作方案：李伟' });
  await left.waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {
    throw new Error('the completed task is still in the inbox');
  });
  await shot(page, 'task-completed.png');
});

await check('a notification opens its task and is read', async (page) => {
  await enter(page);
  await page.getByText('中文', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: '我的待办' }), 'the inbox, in Chinese');
  await page.getByRole('button', { name: '通知: 2 条未读' }).click();
  const notice = page.getByRole('button', { name: /新任务.*准备续作方案：陈静/ });
  await expectVisible(notice, 'the notification of her task');
  await page.waitForTimeout(400); // the popover's opening animation, for the screenshot
  await shot(page, 'notifications.png');
  await notice.click();
  await expectVisible(page.getByLabel('方案一'), "the task's form, opened from its notification");
  await page.keyboard.press('Escape');
  await expectVisible(page.getByRole('button', { name: '通知: 1 条未读' }), 'one fewer unread');
});

await check('an ended session goes to sign-in, then back to the page the RM was on', async (page) => {
  await signIn(page, user, password);
  await page.getByText('中文', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: '我的待办' }), 'the inbox, in Chinese');
  await page.getByRole('navigation').getByRole('menuitem', { name: '客户', exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: '客户' }), 'the customer list');
  // Signed out elsewhere: the session ends, and the next request is refused.
  await page.evaluate(async () => {
    await fetch('/api/v1/auth/logout', { method: 'POST' });
  });
  await page.getByRole('navigation').getByRole('menuitem', { name: '交易流水', exact: true }).click();
  await expectVisible(page.getByRole('alert').filter({ hasText: '登录已过期' }), 'why they are signing in again');
  await shot(page, 'session-ended.png');
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: /登\s*录/ }).click();
  await expectVisible(page.getByRole('heading', { name: '交易流水' }), 'back on the page they were on');
  if (!page.url().endsWith('/apps/bank_crm/forms/transaction')) throw new Error(`at ${page.url()}`);
  await page.reload();
  await expectVisible(page.getByRole('heading', { name: '交易流水' }), 'a reload stays on the page');
});

await check('the chosen language is the user\'s own, kept by the server', async (page) => {
  await signIn(page, user, password);
  await expectVisible(page.getByRole('heading', { name: '我的待办' }), 'signed in, in Chinese');
  await page.getByText('EN', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: 'My tasks' }), 'English');
  // Another browser, which keeps nothing of this one: the server knows the RM reads English.
  const other = await browser.newContext();
  const elsewhere = await other.newPage();
  await elsewhere.goto(base + '/');
  await elsewhere.getByLabel('用户名').fill(user);
  await elsewhere.getByLabel('密码').fill(password);
  await elsewhere.getByRole('button', { name: /登\s*录/ }).click();
  await expectVisible(elsewhere.getByRole('heading', { name: 'My tasks' }), 'English in the other browser');
  await elsewhere.getByText('中文', { exact: true }).click();
  await expectVisible(elsewhere.getByRole('heading', { name: '我的待办' }), 'back in Chinese');
  await other.close();
});

await check('an RM searches her customers and opens the 360 view of one: figures, sections, form, timeline', async (page) => {
  await enter(page);
  await page.getByText('中文', { exact: true }).click();
  await page.getByRole('navigation').getByRole('menuitem', { name: '客户', exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: '客户' }), 'the customer list');
  await page.getByRole('searchbox', { name: '搜索' }).fill('c0001');
  await page.getByRole('row').nth(2).waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {
    throw new Error('the search did not narrow the list');
  });
  await page.getByRole('link', { name: '李伟' }).click();
  await expectVisible(page.getByRole('heading', { name: '李伟' }), "the customer's page");
  await expectVisible(page.getByLabel('管理资产'), 'the form, from its metadata');
  if ((await page.getByLabel('管理资产').inputValue()) !== '12,800,000.00') throw new Error('the AUM is not the exact decimal, grouped');
  if ((await page.getByLabel('证件号码').inputValue()) !== '110***********0001') throw new Error('the ID number is not masked in the form');
  // The customer 360, laid out in the app's metadata: figures and the sections she may read.
  const summary = page.getByRole('list', { name: '概览' });
  await expectVisible(summary.getByRole('listitem').filter({ hasText: '管理资产' }).filter({ hasText: '12,800,000.00' }), 'the AUM figure, grouped');
  await expectVisible(summary.getByRole('listitem').filter({ hasText: '贷款余额' }).filter({ hasText: '无权查看' }), 'loans are not hers to see');
  if (await page.getByRole('tab', { name: /贷款/ }).count()) throw new Error('a loans section for an RM who may not read loans');
  await shot(page, 'customer-360.png', { fullPage: true });
  await page.getByRole('tab', { name: /理财持仓/ }).click();
  await expectVisible(page.getByRole('row').filter({ hasText: '稳享一年期固收' }).filter({ hasText: '3,000,000.00' }), 'his holding, with its product');
  await shot(page, 'customer-360-holdings.png', { fullPage: true });
  await page.getByRole('tab', { name: '详情' }).click();
  await page.getByRole('tab', { name: '时间线' }).click();
  await expectVisible(page.getByRole('region', { name: '时间线' }).getByText('创建').first(), 'the timeline, with its creation');
  await shot(page, 'customer-timeline.png', { fullPage: true });
});

await check('an RM records a follow-up: the visit address appears for a visit and is asked for at its field', async (page) => {
  await enter(page);
  await page.getByText('中文', { exact: true }).click();
  await page.getByRole('navigation').getByRole('menuitem', { name: '跟进记录', exact: true }).click();
  await page.getByRole('button', { name: /新\s*建/ }).click();
  await expectVisible(page.getByRole('heading', { name: '新建跟进记录' }), 'the new follow-up form');
  // By keyboard: the picker searches the server as the RM types, Enter takes the first.
  await page.getByLabel('客户', { exact: true }).fill('李伟');
  await expectVisible(page.getByTitle(/李伟 · 高净值/), 'the customer found, with her lookup fields');
  await page.getByLabel('客户', { exact: true }).press('Enter');
  // The date picker takes the time typed in the locale's own form (not the browser's).
  await page.getByLabel('联系时间').fill('2026-12-01 10:30');
  await page.getByLabel('联系时间').press('Enter');
  await page.getByLabel('内容摘要').fill('电话沟通续作方案');
  if (await page.getByLabel('拜访地址').count()) throw new Error('the visit address shows before a visit');
  await page.getByLabel('方式').fill('面访');
  await page.getByLabel('方式').press('Enter');
  await expectVisible(page.getByLabel('拜访地址'), 'the visit address, shown by the server for a visit');
  await page.getByRole('button', { name: /保\s*存/ }).click();
  await expectVisible(page.getByText('请填写拜访地址'), 'the refusal at the visit address');
  if ((await page.getByLabel('内容摘要').inputValue()) !== '电话沟通续作方案') throw new Error('what was typed was lost');
  await shot(page, 'follow-up-refused.png', { fullPage: true });
  await page.getByLabel('拜访地址').fill('上海市浦东新区世纪大道 100 号');
  await page.getByText('请填写拜访地址').waitFor({ state: 'detached', timeout: 5_000 }).catch(() => {
    throw new Error('the refusal stayed after the address was typed');
  });
  // A file, uploaded with its progress, attached by the save; a type the field refuses is
  // refused before a byte is sent.
  await page.getByLabel('上传文件').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
  await expectVisible(page.getByRole('alert').filter({ hasText: '不支持的文件类型：notes.txt' }), 'the wrong type refused');
  await page.getByLabel('上传文件').setInputFiles({ name: '面谈纪要.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
  await expectVisible(page.getByText('面谈纪要.pdf'), 'the uploaded file, named');
  // A sub-table's row, typed in place: refused at its cell, in Chinese, then saved.
  await page.getByRole('button', { name: '添加一行' }).click();
  const row = page.getByRole('group', { name: '推荐产品第 1 行' });
  await row.getByLabel('产品').fill('稳享');
  await expectVisible(page.getByTitle(/稳享一年期固收/), 'the product found by the picker');
  await row.getByLabel('产品').press('Enter');
  await row.getByLabel('建议金额').fill('-1');
  await page.getByRole('button', { name: /保\s*存/ }).click();
  await expectVisible(row.getByText('建议金额不能小于 0'), 'the refusal at its cell, in Chinese');
  await shot(page, 'follow-up-row-refused.png', { fullPage: true });
  await row.getByLabel('建议金额').fill('500000.50');
  await page.getByRole('button', { name: /保\s*存/ }).click();
  await expectVisible(page.getByRole('tab', { name: '时间线' }), 'the saved follow-up, on its page');
  const saved = page.getByRole('group', { name: '推荐产品第 1 行' });
  if ((await saved.getByLabel('建议金额').inputValue()) !== '500000.50') throw new Error('the row did not come back as typed');
  if (!/\/forms\/follow_up\/records\/\d+$/.test(page.url())) throw new Error(`at ${page.url()}`);
  if ((await page.getByLabel('联系时间').inputValue()) !== '2026-12-01 10:30') throw new Error('the time did not come back on the same clock');
});

await check('an RM filters her customers with the builder and by hand, chooses columns and keeps a view', async (page) => {
  await enter(page);
  await page.goto(base + '/apps/bank_crm/forms/customer');
  await expectVisible(page.getByRole('heading', { name: '客户' }), 'the customer list');
  await expectVisible(page.getByText('已显示 3 / 共 3 条'), 'her three customers, counted');
  await page.getByRole('button', { name: /筛\s*选/ }).click();
  await page.getByRole('button', { name: '添加条件' }).click();
  await page.getByLabel('条件 1 的字段').fill('管理资产');
  await page.getByLabel('条件 1 的字段').press('Enter');
  await page.getByLabel('条件 1 的运算').fill('大于等于');
  await page.getByLabel('条件 1 的运算').press('Enter');
  await page.getByLabel('条件 1 的值').fill('1000000');
  if ((await page.getByLabel('筛选表达式').inputValue()) !== 'aum >= 1000000') throw new Error('the builder did not write the where text');
  await shot(page, 'filter-builder.png');
  await page.getByRole('button', { name: /应\s*用/ }).click();
  await expectVisible(page.getByText('已显示 2 / 共 2 条'), 'the two with at least a million');
  // By hand: a mistake is shown where it is.
  await page.getByLabel('筛选表达式').fill('aum >= 1000000 and tier ==');
  await page.getByRole('button', { name: /应\s*用/ }).click();
  await expectVisible(page.getByLabel('出错位置'), 'the where text with its mistake marked');
  // Said in Chinese, from the locale files, not in the expression language's English.
  await expectVisible(page.getByText('条件还没写完').first(), 'the mistake, in Chinese');
  if (await page.getByText('the expression ends too early').count()) throw new Error('English in the Chinese screen');
  await shot(page, 'filter-refused.png');
  await page.getByLabel('筛选表达式').fill("tier == 'hnw'");
  await page.getByRole('button', { name: /应\s*用/ }).click();
  await expectVisible(page.getByText('已显示 2 / 共 2 条'), 'her high-net-worth customers');
  await page.keyboard.press('Escape');
  // Fewer columns, then kept as a view on the server.
  await page.getByRole('button', { name: /显示列/ }).click();
  // The chooser opens with an animation: a click during it may not land, so it is tried
  // again while the box is still checked.
  const idColumn = page.getByRole('checkbox', { name: '证件号码' });
  await idColumn.waitFor({ state: 'visible' });
  for (let tries = 0; tries < 5 && (await idColumn.isChecked()); tries++) {
    await idColumn.click();
    await page.waitForTimeout(300);
  }
  if (await idColumn.isChecked()) throw new Error('the ID number column could not be unchecked');
  await page.keyboard.press('Escape');
  if (await page.getByRole('columnheader', { name: '证件号码' }).count()) throw new Error('the ID number column is still shown');
  await page.getByLabel('视图名称').fill('我的高净值客户');
  await page.getByRole('button', { name: /保存视图/ }).click();
  // Saved once the name box is empty again.
  await page.waitForFunction(() => document.querySelector('input[aria-label="视图名称"]')?.value === '', null, { timeout: 10_000 });
  await page.reload();
  // The list opens on the view last used.
  await expectVisible(page.getByText('已显示 2 / 共 2 条'), 'the view reopened after a reload');
  if (await page.getByRole('columnheader', { name: '证件号码' }).count()) throw new Error('the reopened view lost its columns');
  const viewPicker = page.locator('.ant-select', { has: page.getByLabel('视图', { exact: true }) });
  await viewPicker.hover();
  await viewPicker.locator('.ant-select-clear').click();
  await expectVisible(page.getByText('已显示 3 / 共 3 条'), 'all of them again, the view put aside');
  await page.getByLabel('视图', { exact: true }).fill('我的高净值');
  await page.getByLabel('视图', { exact: true }).press('Enter');
  await expectVisible(page.getByText('已显示 2 / 共 2 条'), 'the saved view, from the server');
  if (await page.getByRole('columnheader', { name: '证件号码' }).count()) throw new Error('the view lost its columns');
  await shot(page, 'saved-view.png');
});

await check('an RM changes the risk level of two customers together', async (page) => {
  await enter(page);
  await page.goto(base + '/apps/bank_crm/forms/customer');
  await expectVisible(page.getByText('已显示 3 / 共 3 条'), 'her customers');
  for (const name of ['李伟', '陈静']) await page.getByRole('row', { name: new RegExp(name) }).getByRole('checkbox').check();
  await expectVisible(page.getByText('已选 2 条'), 'two selected');
  await page.getByRole('button', { name: /批量修改/ }).click();
  await page.getByLabel('要修改的字段').fill('风险等级');
  await page.getByLabel('要修改的字段').press('Enter');
  await page.getByLabel('改为').fill('R2');
  await page.getByLabel('改为').press('Enter');
  await shot(page, 'bulk-edit.png');
  await page.getByRole('button', { name: /修改 2 条/ }).click();
  await expectVisible(page.getByText('已选 2 条').locator('visible=false').or(page.getByText('已显示 3 / 共 3 条')), 'the list again');
  await page.getByRole('button', { name: /显示列/ }).click();
  // Once the chooser has finished opening (a click mid-animation can miss).
  const risk = page.getByRole('checkbox', { name: '风险等级' });
  await expectVisible(risk, 'the column chooser');
  await page.waitForTimeout(300);
  await risk.check();
  await page.keyboard.press('Escape');
  for (const name of ['李伟', '陈静']) await expectVisible(page.getByRole('row', { name: new RegExp(name) }).getByText(/^R2/), `${name} at R2`);
});

await check('a tablet, by keyboard alone: search the list, open a customer, reach her form', async (page) => {
  await page.setViewportSize({ width: 768, height: 1024 });
  await enter(page);
  await page.goto(base + '/apps/bank_crm/forms/customer');
  await expectVisible(page.getByText('已显示 3 / 共 3 条'), 'the list at 768 px');
  // The menu is icons only, leaving the list the width.
  if (!(await page.locator('.ant-layout-sider-collapsed').count())) throw new Error('the menu did not collapse at 768 px');
  const focused = () => page.evaluate(() => {
    const at = document.activeElement;
    return at?.getAttribute('aria-label') || at?.id || at?.textContent?.trim() || '';
  });
  for (let i = 0; i < 40 && (await focused()) !== '搜索'; i += 1) await page.keyboard.press('Tab');
  if ((await focused()) !== '搜索') throw new Error('the search box is not reachable by Tab');
  await page.keyboard.type('c0002');
  await page.keyboard.press('Enter');
  await expectVisible(page.getByText('已显示 1 / 共 1 条'), 'one found');
  for (let i = 0; i < 40 && (await focused()) !== '陈静'; i += 1) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expectVisible(page.getByRole('heading', { name: '陈静' }), 'her page, opened by Enter');
  await shot(page, 'customer-768.png', { fullPage: true });
  // Her form, by keyboard: to the notes, typed, on to Save, Enter.
  for (let i = 0; i < 80 && (await focused()) !== 'notes'; i += 1) await page.keyboard.press('Tab');
  if ((await focused()) !== 'notes') throw new Error('the notes are not reachable by Tab');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('偏好面谈，周三下午');
  for (let i = 0; i < 10 && !/保\s*存/.test(await focused()); i += 1) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expectVisible(page.getByText('已保存'), 'the save, confirmed');
  await page.reload();
  await expectVisible(page.getByLabel('备注'), 'her form again');
  if ((await page.getByLabel('备注').inputValue()) !== '偏好面谈，周三下午') throw new Error('the notes typed by keyboard were not saved');
});

await check('instants are shown in the zone the RM chooses, kept by the server', async (page) => {
  await enter(page);
  await expectVisible(page.getByRole('heading', { name: '我的待办' }), 'the inbox');
  await expectVisible(page.getByText(/\(Asia\/Shanghai\)/).first(), "due times in the app's zone");
  await page.getByLabel('时区').fill('Asia/Tokyo');
  await page.getByLabel('时区').press('Enter');
  await expectVisible(page.getByText(/\(Asia\/Tokyo\)/).first(), 'due times on her own clocks');
  await shot(page, 'inbox-tokyo.png');
  await page.reload();
  await expectVisible(page.getByText(/\(Asia\/Tokyo\)/).first(), 'her zone, kept by the server');
  await page.getByLabel('时区').fill('（应用）');
  await page.getByLabel('时区').press('Enter');
  await expectVisible(page.getByText(/\(Asia\/Shanghai\)/).first(), "back to the app's");
});

await check('a record changed by someone else meanwhile: the RM sees what changed and keeps hers', async (page) => {
  await enter(page);
  await page.goto(base + '/apps/bank_crm/forms/customer/records/1');
  await expectVisible(page.getByLabel('备注'), "李伟's form");
  // Someone else saves the record after she opened it.
  await page.evaluate(async (token) => {
    const uri = '/api/v1/apps/bank_crm/forms/customer/records/1';
    const headers = { Authorization: `Bearer ${token}` };
    const now = await fetch(uri, { headers }).then((r) => r.json());
    await fetch(uri, { method: 'PATCH', headers: { ...headers, 'Content-Type': 'application/json', 'If-Match': `"${now._version}"` },
      body: JSON.stringify({ email: 'li.wei@example.cn' }) });
  }, session.token);
  await page.getByLabel('备注').fill('下周二回访');
  await page.getByRole('button', { name: /保\s*存/ }).click();
  await expectVisible(page.getByRole('alert').filter({ hasText: '别人刚修改了这条记录（邮箱）' }), 'what the other change was');
  await shot(page, 'record-conflict.png');
  if ((await page.getByLabel('备注').inputValue()) !== '下周二回访') throw new Error('what she typed was lost');
  await page.getByRole('button', { name: /保留我的修改/ }).click();
  await page.getByRole('button', { name: /保\s*存/ }).click();
  await page.waitForTimeout(500);
  await page.reload();
  await expectVisible(page.getByLabel('备注'), 'the form again');
  if ((await page.getByLabel('备注').inputValue()) !== '下周二回访') throw new Error('her notes were not saved');
  if ((await page.getByLabel('邮箱').inputValue()) !== 'li.wei@example.cn') throw new Error("the other change was lost");
});

