// The designers, as an analyst uses them: an app and its forms built without JSON (by drag
// and drop and by keyboard), the checker underlining a formula's mistake, a delete undone
// and redone, a role that masks a field, publishing after the dry run; a relationship
// manager then using the form and seeing the field masked; a type change whose dry run
// names the records it converts and the one it refuses, published with maker-checker on
// and approved by a second designer; and a rename that rewrites the rule reading the field.
import { base, browser, call, check, enter, expectVisible, sessionOf, session, shot } from './harness.mjs';

const analyst = await sessionOf('chen.analyst', process.env.TRELLIS_ANALYST_PASSWORD ?? '');
const admin = await sessionOf('admin', process.env.TRELLIS_ADMIN_PASSWORD ?? '');


/// Picks `option` in the antd select named `name` (typed, then Enter).
async function choose(scope, name, option) {
  const box = scope.getByRole('combobox', { name, exact: true });
  await box.click();
  await box.fill(option);
  await box.press('Enter');
  await box.press('Tab'); // on: the list closes
}

/// Types into the expression editor named `name`, replacing what it holds.
async function typeExpression(page, name, text) {
  const editor = page.locator(`.cm-content[aria-label="${name}"]`);
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
}

/// Adds a field of type `type` by keyboard: its palette button focused, Enter pressed.
async function addByKeyboard(page, type) {
  await page.getByRole('button', { name: new RegExp(`^添加\\s*${type.replace('/', '\\/')}\\s*字段$`) }).focus();
  await page.keyboard.press('Enter');
}

/// Names the selected field.
async function name(page, text) {
  await page.getByLabel('名称 (中文)', { exact: true }).fill(text);
}

const canvasOrder = (page) => page.locator('.canvas-field .canvas-name').allInnerTexts();

await check('an analyst builds an app and its forms without JSON, by drag and drop and by keyboard', async (page) => {
  await enter(page, analyst);
  await page.goto(base + '/design');
  await expectVisible(page.getByRole('heading', { name: '应用设计' }), 'the apps');
  await shot(page, 'designer-apps.png');
  await page.getByRole('button', { name: '新建应用' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('标识').fill('visits');
  await dialog.getByLabel('名称（中文）').fill('客户拜访');
  await dialog.getByLabel('名称（英文）').fill('Client visits');
  await dialog.getByRole('button', { name: '创建' }).click();
  await expectVisible(page.getByRole('heading', { name: '设计：客户拜访' }), 'the new app');

  // A form of clients, for the visits to relate to.
  for (const [key, label, english] of [['client', '客户', 'Client'], ['visit', '拜访', 'Visit']]) {
    await page.getByRole('button', { name: '新建表单' }).click();
    await page.getByRole('dialog').getByLabel('标识').fill(key);
    await page.getByRole('dialog').getByLabel('名称（中文）').fill(label);
    await page.getByRole('dialog').getByLabel('名称（英文）').fill(english);
    await page.getByRole('dialog').getByRole('button', { name: '创建' }).click();
    await expectVisible(page.getByRole('heading', { name: `表单设计：${label}` }), `the ${key} designer`);
    if (key === 'client') {
      await addByKeyboard(page, '单行文本');
      await name(page, '客户姓名');
      await page.getByRole('button', { name: '保存草稿' }).click();
      await expectVisible(page.getByText('草稿已保存'), 'saved');
      await page.getByRole('button', { name: '返回应用' }).click();
    }
  }

  // By keyboard: a text field.
  await addByKeyboard(page, '单行文本');
  await name(page, '主题');
  // By drag and drop: a decimal with its scale.
  const from = await page.getByRole('button', { name: /^添加\s*小数\/金额\s*字段$/ }).boundingBox();
  const to = await page.getByText('拖到这里放在最后').boundingBox();
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++) await page.mouse.move(from.x + ((to.x + to.width / 2 - from.x) * i) / 12, from.y + ((to.y + to.height / 2 - from.y) * i) / 12);
  await page.mouse.up();
  await expectVisible(page.getByRole('button', { name: /^小数\/金额 1/ }), 'the dropped decimal');
  await name(page, '金额');
  await page.getByLabel('小数位数').fill('2');
  // A select with coloured options.
  await addByKeyboard(page, '单选');
  await name(page, '意向');
  await choose(page, '选项 1 的颜色', '红');
  await page.getByRole('button', { name: '添加选项' }).click();
  await page.getByLabel('选项 2 的名称（中文）').fill('观望');
  await choose(page, '选项 2 的颜色', '绿');
  // A relation with lookup fields, a sub-table with its own columns.
  await addByKeyboard(page, '关联');
  await name(page, '拜访客户');
  await choose(page, '显示关联记录的字段', '客户姓名');
  await addByKeyboard(page, '子表');
  await name(page, '带去的资料');
  await page.getByRole('button', { name: '添加列' }).click();
  await page.getByLabel('列 2 的名称（中文）').fill('份数');
  await choose(page, '列 2 的类型', '整数');
  // A field shown only under a condition; a formula with a mistake, underlined, then fixed.
  await addByKeyboard(page, '单行文本');
  await name(page, '大额说明');
  await typeExpression(page, '何时显示（条件）', 'decimal_1 > 100');
  await addByKeyboard(page, '公式');
  await name(page, '双倍金额');
  await typeExpression(page, '公式', 'decimal_x * 2');
  await expectVisible(page.locator('.cm-lintRange-error'), 'the mistake underlined');
  await expectVisible(page.locator('.expression-findings').filter({ hasText: 'decimal_x' }), 'the checker\'s message');
  await shot(page, 'designer-formula-mistake.png');
  await typeExpression(page, '公式', 'decimal_1 * 2');
  await page.locator('.cm-lintRange-error').waitFor({ state: 'detached', timeout: 10_000 });
  // Names complete from the server's: a field, through the relation too, and functions.
  await page.keyboard.type(' + rou');
  const completions = page.locator('.cm-tooltip-autocomplete');
  await expectVisible(completions.getByText('round', { exact: true }), 'a function completed');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('relation_1.');
  await page.keyboard.press('Control+Space');
  await expectVisible(completions.getByText('relation_1.text_1', { exact: true }), 'a related form\'s field completed');
  await page.keyboard.press('Escape');
  await typeExpression(page, '公式', 'decimal_1 * 2');
  await addByKeyboard(page, '整数');
  await name(page, '次数');
  await addByKeyboard(page, '手机号');
  await name(page, '手机');

  // Reordered by keyboard: 次数 lifted, moved up two places, dropped.
  const before = await canvasOrder(page);
  await page.getByRole('button', { name: '移动 次数' }).focus();
  // Each key as a person presses it: the move is animated between them.
  for (const key of ['Space', 'ArrowUp', 'ArrowUp', 'Space']) {
    await page.keyboard.press(key);
    await page.waitForTimeout(250);
  }
  await expectVisible(page.getByText(/已放到 .* 的位置/), 'the drop announced');
  const after = await canvasOrder(page);
  if (after.indexOf('次数') !== before.indexOf('次数') - 2) throw new Error(`not moved up two: ${before} → ${after}`);

  // A delete undone and redone, by keyboard.
  await page.getByRole('button', { name: '删除 大额说明' }).click();
  await page.getByRole('heading', { name: '表单设计：拜访' }).click();
  if ((await canvasOrder(page)).includes('大额说明')) throw new Error('not deleted');
  await page.keyboard.press('Control+z');
  await expectVisible(page.getByRole('button', { name: /^大额说明/ }), 'back after undo');
  await page.keyboard.press('Control+Shift+z');
  await page.getByRole('button', { name: /^大额说明/ }).waitFor({ state: 'detached' });
  await page.getByRole('button', { name: '撤销' }).click();
  await expectVisible(page.getByRole('button', { name: /^大额说明/ }), 'back again');

  // The preview is the runtime form: the condition and the formula work as typed.
  const preview = page.getByRole('region', { name: '预览' });
  await preview.getByLabel('金额', { exact: true }).fill('150');
  await expectVisible(preview.getByLabel('大额说明'), 'shown above 100');
  const doubled = preview.getByLabel('双倍金额');
  // The server's check of the draft, 400 ms after the typing stops (slower on a busy machine).
  for (let i = 0; i < 200 && !(await doubled.inputValue()).startsWith('300'); i++) await page.waitForTimeout(100);
  if (!(await doubled.inputValue()).startsWith('300')) throw new Error(`the formula says ${await doubled.inputValue()}`);
  await page.getByRole('button', { name: '保存草稿' }).click();
  await expectVisible(page.getByText('草稿已保存', { exact: true }), 'saved');
  await shot(page, 'designer-form.png', { fullPage: true });
  await page.setViewportSize({ width: 768, height: 1024 });
  await shot(page, 'designer-form-tablet.png', { fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByText('EN', { exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: 'Form designer: Visit' }), 'in English');
  await shot(page, 'designer-form-en.png', { fullPage: true });
  await page.setViewportSize({ width: 768, height: 1024 });
  await shot(page, 'designer-form-en-tablet.png', { fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByText('中文', { exact: true }).click();

  // A role: reads and creates visits, sees the mobile masked; reads clients.
  await page.getByRole('button', { name: '返回应用' }).click();
  await page.getByRole('tab', { name: '角色与权限' }).click();
  await page.getByRole('button', { name: '新建角色' }).click();
  await page.getByRole('dialog').getByLabel('标识').fill('visitor');
  await page.getByRole('dialog').getByLabel('名称（中文）').fill('拜访员');
  await page.getByRole('dialog').getByLabel('名称（英文）').fill('Visitor');
  await page.getByRole('dialog').getByRole('button', { name: '创建' }).click();
  await expectVisible(page.getByRole('heading', { name: '角色：拜访员' }), 'the role editor');
  await page.getByRole('button', { name: /^客户( |$)/ }).click();
  await page.getByRole('group', { name: '客户 的操作' }).getByRole('checkbox', { name: '查看' }).check();
  await page.getByRole('button', { name: /^拜访( |$)/ }).click();
  const visits = page.getByRole('group', { name: '拜访 的操作' });
  await visits.getByRole('checkbox', { name: '查看' }).check();
  await visits.getByRole('checkbox', { name: '新建' }).check();
  await choose(page, '手机 的可见方式', '打码');
  await page.getByRole('button', { name: '保存草稿' }).click();
  await expectVisible(page.getByText('草稿已保存', { exact: true }), 'the role saved');
  await shot(page, 'designer-role.png', { fullPage: true });

  // Published after the dry run.
  await page.getByRole('button', { name: '发布…' }).click();
  await expectVisible(page.getByText('可以发布为第 1 版'), 'the dry run');
  await shot(page, 'designer-dry-run.png');
  await page.getByRole('dialog').getByRole('button', { name: '发布', exact: true }).click();
  await expectVisible(page.getByText('已发布第 1 版'), 'published');
});

await check('an administrator gives the role to a relationship manager, who uses the form and sees the field masked', async (page) => {
  await enter(page, admin);
  await page.goto(base + '/design/apps/visits/roles/visitor');
  await choose(page, '授予用户', 'zhang.min');
  await page.getByRole('button', { name: '授予', exact: true }).click();
  await page.keyboard.press('Escape');
  await expectVisible(page.getByRole('table').getByText('张敏 (zhang.min)'), 'she holds it');
  // Records the RM reads (one with a mobile, one visited often).
  for (const [times, mobile] of [[5, '13800001234'], [500, null]]) {
    const made = await call(admin, 'POST', '/api/v1/apps/visits/forms/visit/records', { text_1: `拜访 ${times}`, integer_1: times, ...(mobile ? { phone_1: mobile } : {}) });
    if (made.status !== 201) throw new Error(`record not made: ${JSON.stringify(made.body)}`);
  }
  // Seen as her, before she signs in: her rows, the mobile masked.
  await page.goto(base + '/design/apps/visits?tab=seeAs');
  await page.getByLabel('用户名').fill('zhang.min');
  await choose(page, '表单', '拜访');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: '查看', exact: true }).click();
  const seen = page.getByRole('table', { name: 'zhang.min 看到的记录' });
  await expectVisible(seen.getByRole('cell', { name: '*******1234' }), 'the mobile masked, seen as her');
  await shot(page, 'designer-see-as.png');
  // The app's version history and its texts, missing translations flagged.
  await page.goto(base + '/design/apps/visits?tab=versions');
  await expectVisible(page.getByRole('heading', { name: '比较两个版本' }), 'the versions');
  await choose(page, '从', '空应用');
  await page.keyboard.press('Escape');
  await expectVisible(page.getByRole('list', { name: '差别' }).getByText(/拜访/).first(), 'the app since it was empty, in words');
  await shot(page, 'designer-versions.png');
  await page.getByRole('tab', { name: '文本与翻译' }).click();
  await expectVisible(page.getByText(/缺少 \d+ 处翻译/), 'the count of missing translations');
  await shot(page, 'designer-texts.png');
  const rm = await page.context().browser().newContext({ viewport: { width: 1280, height: 800 } });
  const her = await rm.newPage();
  await enter(her, session.token);
  await her.goto(base + '/apps/visits/forms/visit');
  await expectVisible(her.getByRole('heading', { name: '拜访' }), 'the form in her workspace');
  await expectVisible(her.getByRole('cell', { name: '*******1234' }), 'the mobile masked');
  if (await her.getByText('13800001234').count()) throw new Error('the mobile in clear');
  await her.goto(base + '/apps/visits/forms/visit/new');
  await her.getByLabel('主题').fill('季度回访');
  await her.getByRole('button', { name: /保\s*存/ }).click();
  await expectVisible(her.getByText('已保存'), 'her visit saved');
  await rm.close();
});

await check('a type change shows the records it converts and the one it refuses; with maker-checker on, a second designer approves', async (page) => {
  const on = await call(admin, 'PUT', '/api/v1/apps/visits/settings', { publish_approval: true });
  if (on.status !== 200) throw new Error(`maker-checker not on: ${JSON.stringify(on.body)}`);
  await enter(page, analyst);
  await page.goto(base + '/design/apps/visits/forms/visit');
  await page.getByRole('button', { name: /^次数/ }).click();
  await choose(page, '类型', '小数/金额');
  await page.getByLabel('最大值').fill('100');
  await page.getByRole('button', { name: '发布…' }).click();
  const dialog = page.getByRole('dialog');
  await expectVisible(dialog.getByText(/字段 integer_1：\d+ 条记录会转换/), 'the records that convert');
  await expectVisible(dialog.getByRole('table', { name: '不符合的记录' }), 'the refused record named');
  await expectVisible(dialog.getByText('1 条不符合'), 'one refused');
  await shot(page, 'designer-dry-run-refused.png');
  await dialog.getByRole('button', { name: '取消' }).click();
  await page.getByLabel('最大值').fill('1000');
  await page.getByRole('button', { name: '发布…' }).click();
  await expectVisible(dialog.getByText('可以发布为第 2 版'), 'publishable now');
  await dialog.getByRole('button', { name: '提交发布申请' }).click();
  await expectVisible(page.getByText('已提交发布申请，等待另一位设计者批准'), 'the request filed');

  // A second designer weighs it by its dry run and approves it.
  const made = await call(admin, 'PUT', '/api/v1/users/wu.checker', { password: 'the checker long password', platform_role: 'designer', display_name: '吴审核' });
  if (made.status !== 200) throw new Error(`no second designer: ${JSON.stringify(made.body)}`);
  const checker = await sessionOf('wu.checker', 'the checker long password');
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const second = await other.newPage();
  await enter(second, checker);
  await second.goto(base + '/design/apps/visits?tab=publish');
  await second.getByRole('button', { name: /审阅发布申请/ }).click();
  await expectVisible(second.getByRole('dialog').getByText(/次数/).first(), 'the change in words');
  await shot(second, 'designer-review.png');
  await second.getByRole('button', { name: '批准并发布' }).click();
  await expectVisible(second.getByText('已批准'), 'approved');
  await other.close();
  const app = await call(admin, 'GET', '/api/v1/apps/visits');
  if (app.body.published_version !== 2) throw new Error(`not version 2: ${JSON.stringify(app.body)}`);
});

await check('renaming a field read by a rule rewrites the rule, its impact shown first', async (page) => {
  await enter(page, analyst);
  await page.goto(base + '/design/apps/bank_crm/forms/customer');
  await page.getByRole('button', { name: /^最近手机银行登录/ }).click();
  await page.getByRole('button', { name: '改名…' }).click();
  const dialog = page.getByRole('dialog');
  await expectVisible(dialog.getByText(/规则 no_mobile_login_30_days/).first(), 'the rule that reads it');
  await dialog.getByLabel('新的标识').fill('last_app_login');
  await shot(page, 'designer-rename.png');
  await dialog.getByRole('button', { name: '改名' }).click();
  await expectVisible(page.getByText(/已改名为 last_app_login/), 'renamed');
  const rule = await call(analyst, 'GET', '/api/v1/apps/bank_crm/drafts/rules/no_mobile_login_30_days');
  if (!JSON.stringify(rule.body).includes('last_app_login') || JSON.stringify(rule.body).includes('last_mobile_login')) {
    throw new Error(`the rule not rewritten: ${JSON.stringify(rule.body)}`);
  }
  // Back as it was, for what runs after.
  const back = await call(analyst, 'POST', '/api/v1/apps/bank_crm/forms/customer/fields/last_app_login/rename', { to: 'last_mobile_login' });
  if (back.status !== 200) throw new Error(JSON.stringify(back.body));
});

await check('an app file from another installation is imported with what it changes shown first', async (page) => {
  const exported = await call(analyst, 'GET', '/api/v1/apps/visits/bundle');
  const bundle = exported.body;
  const client = bundle.forms.find((f) => f.key === 'client');
  client.fields.push({ key: 'wechat', type: 'text', label: { 'zh-CN': '微信号', en: 'WeChat' } });
  await enter(page, analyst);
  await page.goto(base + '/design');
  await page.getByRole('button', { name: '导入应用' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('选择从另一套 Trellis 导出的应用文件').setInputFiles({
    name: 'visits.trellis.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bundle)),
  });
  await expectVisible(dialog.getByText(/应用 visits 已存在/), 'the app is there');
  await expectVisible(dialog.getByText(/微信号/), 'the new field, in words');
  await shot(page, 'designer-import.png');
  await dialog.getByRole('button', { name: '导入为草稿' }).click();
  await expectVisible(page.getByRole('heading', { name: '设计：客户拜访' }), 'the app, its drafts replaced');
  const draft = await call(analyst, 'GET', '/api/v1/apps/visits/drafts/forms/client');
  if (!JSON.stringify(draft.body).includes('wechat')) throw new Error('not imported');
});

await check('two analysts save one form: the second is told what changed and merges', async (page) => {
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const second = await other.newPage();
  await enter(page, analyst);
  await enter(second, analyst);
  for (const p of [page, second]) {
    await p.goto(base + '/design/apps/visits/forms/client');
    await expectVisible(p.getByRole('heading', { name: '表单设计：客户' }), 'the client form');
  }
  // The first adds a field and saves; the second, from the same revision, renames the form.
  await addByKeyboard(page, '邮箱');
  await page.getByRole('button', { name: '保存草稿' }).click();
  await expectVisible(page.getByText('草稿已保存', { exact: true }), 'the first saved');
  await second.getByLabel('表单名称 (中文)').fill('客户档案');
  await second.getByRole('button', { name: '保存草稿' }).click();
  const conflict = second.getByRole('dialog', { name: '别人刚保存了这个草稿' });
  await expectVisible(conflict.getByText(/新增字段：邮箱 1/), 'what the other analyst changed');
  await shot(second, 'designer-conflict.png');
  await conflict.getByRole('button', { name: '合并我的更改' }).click();
  await second.getByRole('button', { name: '保存草稿' }).click();
  await expectVisible(second.getByText('草稿已保存', { exact: true }), 'merged and saved');
  const saved = (await call(analyst, 'GET', '/api/v1/apps/visits/drafts/forms/client')).body;
  if (saved.label['zh-CN'] !== '客户档案' || !saved.fields.some((f) => f.key === 'email_1')) throw new Error(`not both: ${JSON.stringify(saved)}`);
  await other.close();
});
