import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldMeta } from '../../src/api/client';
import type { InputContext } from '../../src/fields/kinds';
import { apiValues, clearedErrors, errorName, inputValues } from '../../src/fields/values';

const ctx: InputContext = { app: 'bank_crm', language: 'zh-CN', zone: 'Asia/Shanghai', disabled: false };
const f = (key: string, type: FieldMeta['type'], more: Partial<FieldMeta> = {}): FieldMeta => ({ key, type, label: { en: key }, mode: 'visible', ...more });
const fields = [
  f('aum', 'decimal'), f('n', 'integer'), f('at', 'datetime'), f('born', 'date'), f('ok', 'boolean'), f('tags', 'multi_select'),
  f('mobile', 'phone', { mode: 'masked' }),
  f('rows', 'sub_table', { fields: [f('amount', 'decimal'), f('when', 'datetime')] }),
];

test('values go to the inputs and back as the API gives them: decimals stay strings, instants on the reader\'s clocks', () => {
  const record = { aum: '123456789012345678.91', n: 7, at: '2026-12-01T02:30:00Z', born: '1975-03-14', ok: false, tags: ['a'],
    mobile: '137****0001', rows: [{ amount: '0.10', when: '2026-12-01T16:00:00Z' }] };
  const inputs = inputValues(fields, record, ctx);
  assert.equal(inputs.aum, '123456789012345678.91');
  assert.equal(inputs.at, '2026-12-01 10:30');
  assert.equal(inputs.mobile, '137****0001');
  assert.deepEqual(inputs.rows, [{ amount: '0.10', when: '2026-12-02 00:00' }]);
  const back = apiValues(fields.filter((x) => x.mode === 'visible'), inputs, ctx);
  assert.deepEqual(back, { aum: '123456789012345678.91', n: 7, at: '2026-12-01T02:30:00Z', born: '1975-03-14', ok: false, tags: ['a'],
    rows: [{ amount: '0.10', when: '2026-12-01T16:00:00Z' }] });
});

test('what is typed is sent as typed where it is not of the type, for the server to refuse at the field', () => {
  const sent = apiValues(fields, { aum: ' 1,000.5 ', n: '12.5', tags: [], at: '' }, ctx);
  assert.deepEqual(sent, { aum: '1000.5', n: '12.5' });
});

test('a problem\'s path names its form item, and a change clears the errors of what it touched', () => {
  assert.deepEqual(errorName('/rows/0/amount'), ['rows', 0, 'amount']);
  assert.deepEqual(errorName('/a~1b'), ['a/b']);
  assert.deepEqual(clearedErrors({ rows: [undefined, { amount: '5' }] }).map((e) => e.name),
    [['rows'], ['rows', 0], ['rows', 1], ['rows', 1, 'amount']]);
});
