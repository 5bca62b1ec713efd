import { test } from 'node:test';
import assert from 'node:assert/strict';
import { label } from '../../src/i18n';

test('a label in the reader\'s language; a missing translation falls back visibly, saying its language', () => {
  assert.equal(label({ 'zh-CN': '客户', en: 'Customer' }, 'en'), 'Customer');
  assert.equal(label({ 'zh-CN': '客户' }, 'en'), '客户 (zh-CN)');
  assert.equal(label({ 'zh-CN': '客户', en: ' ' }, 'en'), '客户 (zh-CN)');
  assert.equal(label(null, 'zh-CN'), '');
});
