import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinIn, label } from '../../src/i18n';

test('a label in the reader\'s language; a missing translation falls back visibly, saying its language', () => {
  assert.equal(label({ 'zh-CN': '客户', en: 'Customer' }, 'en'), 'Customer');
  assert.equal(label({ 'zh-CN': '客户' }, 'en'), '客户 (zh-CN)');
  assert.equal(label({ 'zh-CN': '客户', en: ' ' }, 'en'), '客户 (zh-CN)');
  assert.equal(label(null, 'zh-CN'), '');
});

test('lists are joined as the reader\'s language joins them: names, and sentences', () => {
  assert.equal(joinIn('zh-CN', ['手机', '邮箱']), '手机、邮箱');
  assert.equal(joinIn('en', ['Mobile', 'E-mail']), 'Mobile, E-mail');
  assert.equal(joinIn('zh-CN', ['不是有效的电话号码', '必填'], 'sentences'), '不是有效的电话号码；必填');
  assert.equal(joinIn('en', ['Not a phone number', 'Required'], 'sentences'), 'Not a phone number; Required');
  assert.equal(joinIn('en', []), '');
});
