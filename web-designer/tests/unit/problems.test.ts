import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldMeta, ProblemItem } from '../../src/api/client';
import { fieldAt, fieldProblem, refusalText, whereProblemText } from '../../src/ui/problems';

const amount: FieldMeta = { key: 'amount', type: 'decimal', label: { 'zh-CN': '建议金额', en: 'Amount' }, mode: 'visible', min: '0', scale: 2 };
const rows: FieldMeta = { key: 'rows', type: 'sub_table', label: { en: 'Rows' }, mode: 'visible', fields: [amount] };

test('a refusal at a field is worded from the locale files, naming the field and its bounds', () => {
  const item = { path: '/rows/0/amount', code: 'min', message: 'must be at least 0' } as ProblemItem;
  const field = fieldAt([rows], item.path);
  assert.equal(field?.key, 'amount');
  assert.equal(fieldProblem(item, field, 'zh-CN'), '建议金额不能小于 0');
  assert.match(fieldProblem(item, field, 'en'), /Amount/);
});

test('a code the locale files do not know is shown as the server wrote it; a validation in the app\'s words', () => {
  assert.equal(fieldProblem({ path: '/x', code: 'brand_new', message: 'as written' } as ProblemItem, undefined, 'en'), 'as written');
  const validation = { path: '/x', code: 'validation', message: 'm', texts: { 'zh-CN': '中文', en: 'English' } } as ProblemItem;
  assert.equal(fieldProblem(validation, undefined, 'en'), 'English');
  assert.match(refusalText({ detail: 'the server said' }, 'en'), /the server said/);
});

test('a filter the server could not read is worded in the reader\'s language by its code, naming the marked text', () => {
  const text = "aum >= 1000000 and tier ==";
  const end = new TextEncoder().encode(text).length;
  const incomplete = { code: 'syntax', message: 'the expression ends too early', span: [end, end] as [number, number] };
  assert.equal(whereProblemText(incomplete, text, 'zh-CN'), '条件还没写完：在末尾补上要比较的值');
  assert.doesNotMatch(whereProblemText(incomplete, text, 'zh-CN'), /expression/);
  const where = '客户名 == 1';
  const start = 0;
  const stop = new TextEncoder().encode('客户名').length;
  const unknown = { code: 'unknown_field', message: 'no field', span: [start, stop] as [number, number] };
  assert.equal(whereProblemText(unknown, where, 'zh-CN'), '没有这个字段：「客户名」');
  assert.equal(whereProblemText({ code: 'brand_new', message: 'as written' }, where, 'en'), 'as written');
});
