// The designers' pure parts: the undo/redo stack (typing one property is one step), the
// form edits (a field moved between sections, a type changed keeping what applies), two
// analysts' saves merged, and the highlighter agreeing with the Rust lexer on every token
// of the shared corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { begin, record, redo, undo } from '../../src/designer/history';
import { changeType, groups, insertField, merge, moveField, newField, removeField, setSection, type FormDoc } from '../../src/designer/form/model';
import { fromBytes, tokenize } from '../../src/designer/expr/tokens';

const names = { 'zh-CN': '字段', en: 'Field' };
const form = (): FormDoc => ({
  key: 'visit', label: { 'zh-CN': '拜访' },
  fields: [
    { key: 'a', type: 'text', label: { 'zh-CN': 'A' } },
    { key: 'b', type: 'integer', label: { 'zh-CN': 'B' }, min: 1 },
    { key: 'c', type: 'text', label: { 'zh-CN': 'C' } },
  ],
  layout: { sections: [{ key: 's1', label: { 'zh-CN': '一' }, fields: ['a'] }] },
});

test('typing one property is one undo step; another action is another; redo returns it', () => {
  let h = begin(1);
  h = record(h, 2, 'a.label', 1000);
  h = record(h, 3, 'a.label', 1500);
  h = record(h, 4, 'a.label', 1900);
  h = record(h, 5, null, 2000);
  assert.equal(h.past.length, 2);
  h = undo(h);
  assert.equal(h.present, 4);
  h = undo(h);
  assert.equal(h.present, 1, 'the typing went back as one');
  h = redo(redo(h));
  assert.equal(h.present, 5);
  // A pause in typing makes a new step.
  h = record(record(h, 6, 'b', 10_000), 7, 'b', 12_000);
  assert.equal(undo(h).present, 6);
});

test('a field dropped among another section joins it; deleting removes it from its section', () => {
  let doc = moveField(form(), 'c', 0);
  doc = setSection(doc, 'c', 's1');
  assert.deepEqual(doc.layout?.sections?.[0]?.fields, ['c', 'a'], 'in the form\'s order');
  assert.deepEqual(groups(doc).map((g) => g.fields.map((f) => f.key)), [['c', 'a'], ['b']]);
  doc = removeField(doc, 'a');
  assert.deepEqual(doc.layout?.sections?.[0]?.fields, ['c']);
  const added = insertField(doc, newField('decimal', ['decimal_1'], names, []), 1, 's1');
  assert.equal(added.fields[1]?.key, 'decimal_2');
  assert.equal(added.fields[1]?.scale, 2);
  assert.deepEqual(added.layout?.sections?.[0]?.fields, ['c', 'decimal_2']);
});

test('a type changed keeps the key, labels and what applies, and drops what does not', () => {
  const doc = changeType(form(), 'b', 'decimal', names, []);
  const b = doc.fields[1];
  assert.equal(b?.type, 'decimal');
  assert.equal(b?.min, 1, 'bounds apply to decimals too');
  assert.equal(b?.scale, 2);
  const text = changeType(doc, 'b', 'text', names, []);
  assert.equal(text.fields[1]?.min, undefined);
  assert.equal(text.fields[1]?.scale, undefined);
  assert.deepEqual(text.fields[1]?.label, { 'zh-CN': 'B' });
});

test('two analysts\' saves merge: each one\'s changes kept, mine where both changed one', () => {
  const base = form();
  const mine: FormDoc = { ...base, label: { 'zh-CN': '客户拜访' }, fields: [...base.fields.slice(0, 2).map((f) => (f.key === 'a' ? { ...f, required: true } : f)), { key: 'd', type: 'date', label: { 'zh-CN': 'D' } }] };
  const theirs: FormDoc = { ...base, fields: [...base.fields.map((f) => (f.key === 'b' ? { ...f, max: 9 } : f)), { key: 'e', type: 'text', label: { 'zh-CN': 'E' } }] };
  const merged = merge(base, mine, theirs);
  assert.deepEqual(merged.fields.map((f) => f.key), ['a', 'b', 'e', 'd'], 'my deletion of c stands; their e and my d stay');
  assert.equal(merged.fields[0]?.required, true);
  assert.equal(merged.fields[1]?.max, 9);
  assert.deepEqual(merged.label, { 'zh-CN': '客户拜访' });
});

test('the highlighter splits every text of the shared corpus as the Rust lexer does', () => {
  const corpus = JSON.parse(readFileSync(new URL('../../../engine-rule/tests/data/tokens.json', import.meta.url), 'utf8')) as {
    cases: { text: string; tokens: [number, number, string][] }[];
  };
  assert.ok(corpus.cases.length >= 10);
  for (const { text, tokens } of corpus.cases) {
    const inBytes = tokenize(text).map((t) => [new TextEncoder().encode(text.slice(0, t.from)).length, new TextEncoder().encode(text.slice(0, t.to)).length, t.cls]);
    assert.deepEqual(inBytes, tokens, text);
    for (const [start] of tokens) assert.equal(new TextEncoder().encode(text.slice(0, fromBytes(text, start))).length, start);
  }
});
