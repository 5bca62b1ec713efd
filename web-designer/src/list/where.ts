// A filter builder's clauses as the list's `where` text, in the server's expression
// language. The builder only writes the language; the server alone reads and checks it
// (its errors come back with the position of the mistake).
import type { FieldMeta } from '../api/client';

export type Op = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'starts' | 'has' | 'empty' | 'filled';

export interface Clause {
  field: string;
  op: Op;
  /// Text as typed: digits for numbers, `YYYY-MM-DD` for days, an option's value, an id.
  value?: string | number | boolean | null;
}

const ORDERED: Op[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'empty', 'filled'];

/// The operators that fit a field's type.
export function opsFor(field: FieldMeta): Op[] {
  switch (field.type) {
    case 'text': case 'long_text': case 'email': case 'phone':
      return ['contains', 'starts', 'eq', 'ne', 'empty', 'filled'];
    case 'integer': case 'decimal': case 'date': case 'datetime':
      return ORDERED;
    case 'multi_select':
      return ['has', 'empty', 'filled'];
    case 'boolean':
      return ['eq'];
    default:
      return ['eq', 'ne', 'empty', 'filled'];
  }
}

/// A text literal: quoted, `\` escaping quotes and itself.
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const SIGN: Partial<Record<Op, string>> = { eq: '==', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/// One clause as a condition, or null while its value is missing or not of its type.
export function clauseText(field: FieldMeta, clause: Clause, zone: string): string | null {
  const key = field.key;
  if (clause.op === 'empty') return `is_empty(${key})`;
  if (clause.op === 'filled') return `not is_empty(${key})`;
  const v = clause.value;
  if (v === undefined || v === null || v === '') return null;
  const text = String(v).trim();
  let literal: string;
  switch (field.type) {
    case 'integer':
      if (!/^-?\d+$/.test(text)) return null;
      literal = text;
      break;
    case 'decimal':
      if (!/^-?\d+(\.\d+)?$/.test(text.replace(/,/g, ''))) return null;
      literal = text.replace(/,/g, '');
      break;
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
      literal = `date(${quote(text)})`;
      break;
    case 'datetime':
      // A day on the reader's clocks: from the instant it begins in their zone.
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
      literal = `start_of_day(date(${quote(text)}), ${quote(zone)})`;
      break;
    case 'boolean':
      literal = v === true || text === 'true' ? 'true' : 'false';
      break;
    case 'relation':
      if (!/^\d+$/.test(text)) return null;
      literal = text;
      break;
    default:
      literal = quote(text);
  }
  if (clause.op === 'contains') return `contains(${key}, ${literal})`;
  if (clause.op === 'starts') return `starts_with(${key}, ${literal})`;
  if (clause.op === 'has') return `${literal} in ${key}`;
  if (field.type === 'datetime' && (clause.op === 'eq' || clause.op === 'ne')) {
    // The whole day: from its start to the next day's.
    const next = `start_of_day(add_days(date(${quote(text)}), 1), ${quote(zone)})`;
    const within = `(${key} >= ${literal} and ${key} < ${next})`;
    return clause.op === 'eq' ? within : `not ${within}`;
  }
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
