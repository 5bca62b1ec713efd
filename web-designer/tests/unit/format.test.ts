import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDecimal, formatInstant, fromWallClock, toWallClock } from '../../src/ui/format';

test('money is grouped at its scale from the exact string, never through a float', () => {
  assert.equal(formatDecimal('12345678901234567.89', 2), '12,345,678,901,234,567.89');
  assert.equal(formatDecimal('9007199254740993', 2), '9,007,199,254,740,993.00');
  assert.equal(formatDecimal('-0.5', 2), '-0.50');
  assert.equal(formatDecimal('1.239', 2), '1.23', 'cut at the scale, not rounded through binary');
  assert.equal(formatDecimal('137****0001', 2), '137****0001', 'a masked value as it came');
});

test('an instant is shown on the zone\'s clocks, the zone said', () => {
  assert.equal(formatInstant('2026-12-01T02:30:00Z', 'en', 'Asia/Shanghai'), '12/01/2026, 10:30 (Asia/Shanghai)');
  assert.match(formatInstant('2026-12-01T02:30:00Z', 'zh-CN', 'UTC'), /2026\/12\/01 02:30 \(UTC\)/);
});

test('a time typed on a zone\'s clocks is the instant it names there, summer time too', () => {
  assert.equal(fromWallClock('2026-12-01T10:30', 'Asia/Shanghai'), '2026-12-01T02:30:00Z');
  assert.equal(fromWallClock('2026-07-01T12:00', 'Europe/London'), '2026-07-01T11:00:00Z');
  assert.equal(fromWallClock('2026-01-01T12:00', 'Europe/London'), '2026-01-01T12:00:00Z');
  assert.equal(toWallClock('2026-12-01T02:30:00Z', 'Asia/Shanghai'), '2026-12-01T10:30');
  assert.equal(toWallClock('2027-01-31T17:00:00Z', 'Asia/Shanghai'), '2027-02-01T01:00');
  assert.equal(fromWallClock('not a time', 'UTC'), null);
});
