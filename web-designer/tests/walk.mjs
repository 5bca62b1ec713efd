// What a new user's walk through the bank CRM demo found, each pinned where it is seen:
// words not codes, what may not be done not looking doable, records reached from where
// they are about, the feedback a person expects, and the administrators' outbox.
import { createServer } from 'node:http';
import { base, browser, call, check, enter, expectVisible, session, sessionOf, shot } from './harness.mjs';

const manager = await sessionOf(process.env.TRELLIS_MANAGER ?? 'li.hang', process.env.TRELLIS_MANAGER_PASSWORD ?? '');
const admin = await sessionOf('admin', process.env.TRELLIS_ADMIN_PASSWORD ?? '');
const app = '/api/v1/apps/bank_crm';


await check('the sign-in page names the product and switches language before anyone signs in', async (page) => {
  await page.goto(base + '/');
  await expectVisible(page.getByText('Trellis', { exact: true }), 'the product');
  await expectVisible(page.getByRole('heading', { name: '登录' }), 'sign-in, in Chinese');
  await page.getByText('EN', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: 'Sign in' }), 'sign-in, in English');
  await expectVisible(page.getByLabel('User name'), 'its fields in English');
  await page.waitForTimeout(400); // the switch's sliding animation, for the screenshot
  await shot(page, 'sign-in-en.png');
});

await check('an unknown address says not found, with the way back to the inbox', async (page) => {
  await enter(page);
  await page.goto(base + '/no/such/page');
  await expectVisible(page.getByRole('heading', { name: '找不到这个页面' }), 'not found');
  await shot(page, 'not-found.png');
  await page.goto(base + '/apps/bank_crm/forms/no_such_form');
  await expectVisible(page.getByRole('heading', { name: '找不到这个页面' }), 'not found, for a form that is not');
  await page.getByRole('button', { name: '回到我的待办' }).click();
  await expectVisible(page.getByRole('heading', { name: '我的待办' }), 'the inbox again');
});

await check('a follow-up is titled by its form and what it is about, and a boolean reads in words', async (page) => {
  await enter(page);
  await page.goto(base + '/apps/bank_crm/forms/follow_up');
  await expectVisible(page.getByRole('heading', { name: '跟进记录' }), 'the follow-ups');
  await page.getByRole('link', { name: /^陈静/ }).first().click();
  await expectVisible(page.getByRole('heading', { name: /^跟进记录 · 陈静 · / }), 'titled by its form and customer, not its id');
  await page.goto(base + '/apps/bank_crm/forms/relationship_manager');
  await expectVisible(page.getByRole('columnheader', { name: '在职' }), 'the active column');
  await expectVisible(page.getByRole('cell', { name: '是', exact: true }).first(), 'active, in words');
  if (await page.getByRole('cell', { name: 'true', exact: true }).count()) throw new Error('a boolean shown as true');
  await shot(page, 'boolean-words.png');
});

await check('the timeline writes values in words and names who did what, a rule\'s reading field by field', async (page) => {
  // A day's outflow of more than 30% of 李伟's AUM: the large-outflow rule reads the
  // transaction and his AUM.
  const li = (await call(admin, 'GET', `${app}/forms/customer/records?search=C0001&fields=name`)).body.items[0].id;
  const now = (await call(admin, 'GET', '/api/v1/clock')).body.now;
  const made = await call(admin, 'POST', `${app}/forms/transaction/records`,
    { customer: li, direction: 'out', amount: '5000000.00', occurred_at: now, channel: 'mobile' });
  if (made.status !== 201) throw new Error(`the outflow: ${JSON.stringify(made.body)}`);
  await enter(page);
  await page.goto(`${base}/apps/bank_crm/forms/customer/records/${li}`);
  await page.getByRole('tab', { name: '时间线' }).click();
  const timeline = page.getByRole('region', { name: '时间线' });
  await expectVisible(timeline.getByText(/规则触发：大额资金流出/).first(), 'the rule that fired');
  await expectVisible(timeline.getByText(/客户 · 管理资产/).first(), 'what it read, by label through the relation');
  await expectVisible(timeline.getByText('转出').first(), 'an option by its label');
  await expectVisible(timeline.getByText(/修改 · 张敏/).first(), 'a change by the RM, by name');
  await expectVisible(timeline.getByText(/创建 · 系统/).first(), 'the seed, by the system');
  const text = await timeline.innerText();
  for (const code of [/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, /\[object Object\]/, /firing \d+/, /\{"/]) {
    if (code.test(text)) throw new Error(`the timeline shows ${code}: ${text.slice(0, 400)}`);
  }
  await shot(page, 'timeline-words.png', { fullPage: true });
});

await check('a branch manager reads a follow-up without a Save, and hands a team member\'s task to someone picked', async (page) => {
  await enter(page, manager);
  await expectVisible(page.getByRole('heading', { name: '我的待办' }), 'the manager\'s inbox');
  await expectVisible(page.getByRole('button', { name: '李航' }), 'the manager, by name');
  await page.goto(base + '/apps/bank_crm/forms/follow_up');
  await page.getByRole('link', { name: /^陈静/ }).first().click();
  await expectVisible(page.getByLabel('内容摘要'), 'the follow-up');
  if (!(await page.getByLabel('内容摘要').isDisabled())) throw new Error('a field the manager may not change looks editable');
  if (await page.getByRole('button', { name: /保\s*存/ }).count()) throw new Error('a Save offered where nothing may be saved');
  await shot(page, 'read-only-record.png', { fullPage: true });
  await page.getByRole('navigation').getByRole('menuitem', { name: /我的待办/ }).click();
  await page.getByText('团队', { exact: true }).click();
  const hers = page.getByRole('region', { name: '张敏' });
  await expectVisible(hers.getByRole('heading', { name: /张敏.*项待办/ }), 'her tasks, grouped under her with their count');
  await shot(page, 'team-tasks.png', { fullPage: true });
  await hers.getByRole('button', { name: /^打开: / }).first().click();
  const drawer = page.getByRole('dialog');
  await expectVisible(drawer.getByText(/此任务由 zhang.min 处理/), 'who holds it');
  await drawer.getByRole('combobox', { name: '转交给' }).fill('李航');
  await expectVisible(page.getByTitle('李航 (li.hang)'), 'the people who may take it, by name');
  await drawer.getByRole('combobox', { name: '转交给' }).press('Enter');
  await shot(page, 'hand-on-picker.png');
  await drawer.getByRole('button', { name: /转\s*交/ }).click();
  await drawer.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => { throw new Error('the task was not handed on'); });
});

await check('a follow-up started from a customer\'s 360 is linked to them and filled with the RM and the time', async (page) => {
  await enter(page, session.token);
  const li = (await call(session.token, 'GET', `${app}/forms/customer/records?search=C0001&fields=name`)).body.items[0].id;
  await page.goto(`${base}/apps/bank_crm/forms/customer/records/${li}`);
  // The form as its metadata lays it out: sections, in columns.
  for (const section of ['基本信息', '联系方式', '客户关系', '资产']) {
    await expectVisible(page.getByRole('heading', { name: section, level: 2 }), `the section ${section}`);
  }
  // Figures from the bank's systems are the RM's to read, not to change.
  await expectVisible(page.getByLabel('管理资产(AUM)'), 'the AUM');
  if (!(await page.getByLabel('管理资产(AUM)').isDisabled())) throw new Error('the RM may change the AUM');
  await page.getByRole('tab', { name: /跟进记录/ }).click();
  await page.getByRole('button', { name: '新建跟进记录' }).click();
  await expectVisible(page.getByRole('heading', { name: '新建跟进记录' }), 'the new follow-up');
  const shown = (name) => page.locator('.ant-select', { has: page.getByLabel(name, { exact: true }) });
  await expectVisible(shown('客户').getByText(/李伟/), 'linked to the customer');
  await expectVisible(shown('客户经理').getByText(/张敏/), 'her own RM record');
  if (!(await page.getByLabel('联系时间').inputValue())) throw new Error('the contact time is not filled');
  await shot(page, 'follow-up-from-360.png', { fullPage: true });
});

await check('administrators see the outbox by state, with the reason in words, and a customer\'s 360 its messages', async (page) => {
  // A purchase today; a day on, its care SMS finds no gateway.
  const li = (await call(admin, 'GET', `${app}/forms/customer/records?search=C0001&fields=name`)).body.items[0].id;
  const today = (await call(admin, 'GET', '/api/v1/clock')).body.now.slice(0, 10);
  const bought = await call(admin, 'POST', `${app}/forms/wealth_holding/records`,
    { customer: li, product: 1, amount: '100000.00', start_date: today, maturity_date: '2030-01-01', status: 'holding' });
  if (bought.status !== 201) throw new Error(`the purchase: ${JSON.stringify(bought.body)}`);
  const moved = await call(admin, 'POST', '/api/v1/clock', { advance_seconds: 86_400 + 600 });
  if (moved.status !== 200) throw new Error(`the clock: ${JSON.stringify(moved.body)}`);
  await enter(page, admin);
  await page.getByRole('navigation').getByRole('menuitem', { name: '消息发送' }).click();
  await expectVisible(page.getByRole('heading', { name: '消息发送' }), 'the outbox');
  await page.getByLabel('状态').fill('无法送达');
  await page.getByLabel('状态').press('Enter');
  // The chooser closed before the screen is looked at.
  await page.getByLabel('状态').press('Escape');
  await page.getByRole('heading', { name: '消息发送' }).click();
  const sms = page.getByRole('row').filter({ hasText: '感谢您选择' }).first();
  await expectVisible(sms, 'the care SMS');
  await expectVisible(sms.getByText('未配置短信网关'), 'why, in words');
  await expectVisible(sms.getByRole('link', { name: /^理财持仓 #\d+$/ }), 'the record it is about, by its form');
  await shot(page, 'outbox.png', { fullPage: true });
  await sms.getByRole('button', { name: /重新发送/ }).click();
  if (await page.getByRole('alert').count()) throw new Error(`the resend was refused: ${await page.getByRole('alert').innerText()}`);
  // The RM reads it on her customer's 360.
  const rm = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const hers = await rm.newPage();
  await enter(hers, session.token);
  await hers.goto(`${base}/apps/bank_crm/forms/customer/records/${li}`);
  await hers.getByRole('tab', { name: /消息/ }).click();
  await expectVisible(hers.getByText(/感谢您选择/).first(), 'the SMS on the customer\'s 360');
  await rm.close();
});

await check('administrators see each channel\'s gateway, its secrets only as set, and send a test through it', async (page) => {
  // A receiver on this machine that takes every webhook.
  const received = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => { received.push({ id: req.headers['webhook-id'], signature: req.headers['webhook-signature'], body }); res.end('{}'); });
  });
  await new Promise((done) => receiver.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${receiver.address().port}/hooks`;
  try {
    const secret = 'whsec_' + Buffer.from('a signing secret of 32 bytes!!!!').toString('base64');
    const set = await call(admin, 'PUT', `${app}/channels/webhook`, { kind: 'webhook', secrets: { signing: [secret] } });
    if (set.status !== 200) throw new Error(`the webhook channel: ${JSON.stringify(set.body)}`);
    await enter(page, admin);
    await page.goto(`${base}/apps/bank_crm/outbox`);
    await page.getByRole('link', { name: '消息通道设置' }).click();
    await expectVisible(page.getByRole('heading', { name: '消息通道', level: 1 }), 'the channels');
    const hook = page.locator('.ant-card', { has: page.getByRole('heading', { name: 'Webhook' }) });
    await expectVisible(hook.getByText('签名密钥 1 个'), 'its secret, as set, not its value');
    if ((await page.content()).includes(secret.slice(6, 20))) throw new Error('the secret is on the page');
    const sms = page.locator('.ant-card', { has: page.getByRole('heading', { name: '短信' }) });
    await expectVisible(sms.getByText('未配置网关'), 'a channel without a gateway says so');
    // A gateway set in the browser: a wrong quiet hour is shown at its field, what was
    // typed stays, and once mended it is saved with its secret shown only as set.
    await sms.getByRole('button', { name: '设置网关' }).click();
    await page.getByLabel('网关类型').click();
    await page.locator('.ant-select-item-option', { hasText: '阿里云短信' }).click();
    await page.getByLabel('AccessKey ID').fill('LTAI-test');
    await page.getByLabel('短信签名').fill('某银行');
    await page.getByLabel('模板代码').fill('SMS_1');
    await page.getByLabel('接口地址（不填用默认）').fill('http://127.0.0.1:9/');
    await page.getByLabel('免打扰开始').fill('25:00');
    await page.getByLabel('免打扰结束').fill('08:00');
    await page.getByLabel('密钥（AccessKey Secret / SecretKey）').fill('an access key secret');
    await sms.getByRole('button', { name: /^保\s*存$/ }).click();
    await expectVisible(sms.locator('.ant-form-item-has-error', { has: page.getByLabel('免打扰开始') }), 'the wrong hour at its field');
    if ((await page.getByLabel('AccessKey ID').inputValue()) !== 'LTAI-test') throw new Error('what was typed was lost');
    await page.getByLabel('免打扰开始').fill('21:00');
    await sms.getByRole('button', { name: /^保\s*存$/ }).click();
    await expectVisible(sms.getByRole('button', { name: '修改网关' }), 'the gateway saved, the form closed');
    await expectVisible(sms.getByText('阿里云短信'), 'its kind');
    await expectVisible(sms.getByText('访问密钥'), 'its secret, as set');
    if ((await page.content()).includes('an access key secret')) throw new Error('the secret is on the page');
    await shot(page, 'channels-set.png', { fullPage: true });
    // And removed again: the demo's SMS stay undelivered.
    await sms.getByRole('button', { name: '修改网关' }).click();
    await sms.getByRole('button', { name: '移除网关' }).click();
    await page.getByRole('button', { name: /^确\s*定$|^OK$/ }).click();
    await expectVisible(sms.getByText('未配置网关'), 'the gateway removed');
    await page.getByLabel('Webhook · 接收地址').fill(url);
    await page.getByLabel('Webhook · 测试内容').fill('测试消息');
    await hook.getByRole('button', { name: '发送测试' }).click();
    await expectVisible(hook.getByText('网关已接收测试消息'), 'the gateway took it');
    if (received.length !== 1 || !received[0].signature?.startsWith('v1,')) throw new Error(`received: ${JSON.stringify(received)}`);
    await shot(page, 'channels.png', { fullPage: true });
    // A receiver that is not there: what went wrong, at the card.
    await page.getByLabel('Webhook · 接收地址').fill('http://127.0.0.1:9/hooks');
    await hook.getByRole('button', { name: '发送测试' }).click();
    await expectVisible(hook.getByRole('alert').filter({ hasText: '网关未接收' }), 'the refusal, in words');
    // On a tablet, and in English (then back: the language is the user's own, kept).
    await page.setViewportSize({ width: 768, height: 1024 });
    await shot(page, 'channels-768.png', { fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByText('EN', { exact: true }).click();
    await expectVisible(page.getByRole('heading', { name: 'Channels', level: 1 }), 'the channels, in English');
    await expectVisible(page.getByText('No gateway: this channel\'s messages cannot be delivered').first(), 'the empty state, in words');
    await expectVisible(hook.getByRole('alert').filter({ hasText: 'The gateway refused' }), 'the last test\'s outcome, in English too');
    await shot(page, 'channels-en.png', { fullPage: true });
    await page.getByText('中文', { exact: true }).click();
    await expectVisible(page.getByRole('heading', { name: '消息通道', level: 1 }), 'back in Chinese');
  } finally {
    receiver.close();
  }
});
