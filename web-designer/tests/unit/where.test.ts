import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldMeta } from '../../src/api/client';
import { FIELD_KINDS } from '../../src/fields/kinds';
import { clauseText, opsFor, quote, whereText } from '../../src/fields/where';

const field = (key: string, type: FieldMeta['type']): FieldMeta => ({ key, type, label: { en: key }, mode: 'visible' });

test('a text literal quotes its quotes and backslashes, so a value cannot end the string', () => {
  assert.equal(quote("O'Brien"), "'O\\'Brien'");
  assert.equal(quote('a\\'), "'a\\\\'");
  assert.equal(clauseText(field('name', 'text'), { field: 'name', op: 'contains', value: "x') or true or ('" }, 'UTC'),
    "contains(name, 'x\\') or true or (\\'')");
});

test('each kind writes its values as literals of its type, and none that is not one', () => {
  assert.equal(clauseText(field('aum', 'decimal'), { field: 'aum', op: 'gte', value: '1,000,000.50' }, 'UTC'), 'aum >= 1000000.50');
  assert.equal(clauseText(field('aum', 'decimal'), { field: 'aum', op: 'gte', value: '1e9' }, 'UTC'), null);
  assert.equal(clauseText(field('n', 'integer'), { field: 'n', op: 'lt', value: '12.5' }, 'UTC'), null);
  assert.equal(clauseText(field('born', 'date'), { field: 'born', op: 'lt', value: '1975-03-14' }, 'UTC'), "born < date('1975-03-14')");
  assert.equal(clauseText(field('ok', 'boolean'), { field: 'ok', op: 'eq', value: 'true' }, 'UTC'), 'ok == true');
  assert.equal(clauseText(field('rm', 'relation'), { field: 'rm', op: 'eq', value: '7 or true' }, 'UTC'), null);
  assert.equal(clauseText(field('tags', 'multi_select'), { field: 'tags', op: 'has', value: 'golf' }, 'UTC'), "'golf' in tags");
  assert.equal(clauseText(field('x', 'text'), { field: 'x', op: 'empty' }, 'UTC'), 'is_empty(x)');
});

test('a day of instants is the day on the reader\'s clocks, from its start to the next', () => {
  assert.equal(
    clauseText(field('at', 'datetime'), { field: 'at', op: 'eq', value: '2026-12-01' }, 'Asia/Shanghai'),
    "(at >= start_of_day(date('2026-12-01'), 'Asia/Shanghai') and at < start_of_day(add_days(date('2026-12-01'), 1), 'Asia/Shanghai'))",
  );
  assert.equal(
    clauseText(field('at', 'datetime'), { field: 'at', op: 'gt', value: '2026-12-01' }, 'UTC'),
    "at > start_of_day(date('2026-12-01'), 'UTC')",
  );
});

test('clauses join with and/or, an or inside an and kept whole', () => {
  const fields = [field('a', 'integer'), field('at', 'datetime')];
  const text = whereText(fields, [{ field: 'a', op: 'eq', value: '1' }, { field: 'at', op: 'ne', value: '2026-12-01' }, { field: 'a', op: 'gt', value: '' }], 'and', 'UTC');
  assert.ok(text.startsWith('a == 1 and not (at >= '), text);
});

test('every field type has its kind, and every kind offers operators it can write', () => {
  for (const [type, kind] of Object.entries(FIELD_KINDS)) {
    for (const op of kind.ops) assert.ok(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'starts', 'has', 'empty', 'filled'].includes(op), `${type} ${op}`);
    if (kind.listed || kind.bulk) assert.ok(kind.special !== 'sub_table', type);
  }
  assert.deepEqual(opsFor(field('x', 'boolean')), ['eq']);
});
