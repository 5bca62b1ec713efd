// A filter builder's clauses as the list's `where` text, in the server's expression
// language, each value written as its field's kind says. The builder only writes the
// language; the server alone reads and checks it (its errors come back with the position
// of the mistake).
import type { FieldMeta } from '../api/client';
import { kindOf, quote, type Op } from './kinds';

export type { Op };
export { quote };

export interface Clause {
  field: string;
  op: Op;
  /// Text as typed: digits for numbers, `YYYY-MM-DD` for days, an option's value, an id.
  value?: string | number | boolean | null;
}

const SIGN: Partial<Record<Op, string>> = { eq: '==', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/// The operators that fit a field's type.
export const opsFor = (field: FieldMeta): Op[] => kindOf(field).ops;

/// One clause as a condition, or null while its value is missing or not of its type.
export function clauseText(field: FieldMeta, clause: Clause, zone: string): string | null {
  const key = field.key;
  if (clause.op === 'empty') return `is_empty(${key})`;
  if (clause.op === 'filled') return `not is_empty(${key})`;
  const v = clause.value;
  if (v === undefined || v === null || v === '') return null;
  const text = String(v).trim();
  const kind = kindOf(field);
  const literal = kind.literal ? kind.literal(text, zone) : quote(text);
  if (literal === null) return null;
  const own = kind.condition?.(key, clause.op, text, zone);
  if (own) return own;
  if (clause.op === 'contains') return `contains(${key}, ${literal})`;
  if (clause.op === 'starts') return `starts_with(${key}, ${literal})`;
  if (clause.op === 'has') return `${literal} in ${key}`;
  return `${key} ${SIGN[clause.op] ?? '=='} ${literal}`;
}

/// Every complete clause, joined by `and` or `or`.
export function whereText(fields: FieldMeta[], clauses: Clause[], join: 'and' | 'or', zone: string): string {
  const parts = clauses
    .map((c) => {
      const field = fields.find((f) => f.key === c.field);
      return field ? clauseText(field, c, zone) : null;
    })
    .filter((p): p is string => p !== null);
  return parts.length > 1 ? parts.map((p) => (p.includes(' or ') ? `(${p})` : p)).join(` ${join} `) : (parts[0] ?? '');
}
