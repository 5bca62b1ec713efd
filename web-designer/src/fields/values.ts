// A record's values between the API and a form's inputs, field by field through the
// field-kind table; sub-table rows likewise, column by column.
import { shownMasked, type FieldMeta } from '../api/client';
import { kindOf, type InputContext } from './kinds';

type Values = Record<string, unknown>;

/// The inputs' values for a record's (or a sub-table row's) API values.
export function inputValues(fields: FieldMeta[], record: Values, ctx: InputContext): Values {
  const out: Values = {};
  for (const f of fields) {
    const value = record[f.key];
    if (value === undefined || value === null) continue;
    const kind = kindOf(f);
    if (kind.special === 'sub_table') {
      out[f.key] = (Array.isArray(value) ? value : []).map((row) => inputValues(f.fields ?? [], row as Values, ctx));
      continue;
    }
    out[f.key] = shownMasked(f) ? String(value) : kind.toInput ? kind.toInput(value, ctx, f) : value;
  }
  return out;
}

/// The API's values for the inputs' values; an empty input is left out.
export function apiValues(fields: FieldMeta[], inputs: Values, ctx: InputContext): Values {
  const out: Values = {};
  for (const f of fields) {
    const value = inputs[f.key];
    const kind = kindOf(f);
    if (kind.special === 'sub_table') {
      const rows = (Array.isArray(value) ? value : []).map((row) => apiValues(f.fields ?? [], (row ?? {}) as Values, ctx));
      if (rows.length > 0) out[f.key] = rows;
      continue;
    }
    const sent = kind.fromInput ? kind.fromInput(value, ctx, f) : value;
    if (sent !== undefined && sent !== null) out[f.key] = sent;
  }
  return out;
}

/// A problem's JSON pointer (`/proposals/0/amount`) as a form item's name.
export function errorName(path: string): (string | number)[] {
  return path
    .replace(/^\//, '')
    .split('/')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part.replace(/~1/g, '/').replace(/~0/g, '~')));
}

/// The form items a change touched (`{proposals: [, {amount: '5'}]}` is
/// `['proposals', 1, 'amount']`), each with its errors cleared: a refusal shown at a field
/// goes once the user changes what was refused.
export function clearedErrors(changed: unknown, at: (string | number)[] = []): { name: (string | number)[]; errors: string[] }[] {
  const out: { name: (string | number)[]; errors: string[] }[] = [{ name: at, errors: [] }];
  if (Array.isArray(changed)) changed.forEach((v, i) => out.push(...clearedErrors(v, [...at, i])));
  else if (changed !== null && typeof changed === 'object' && !(changed instanceof Date))
    for (const [k, v] of Object.entries(changed)) out.push(...clearedErrors(v, [...at, k]));
  return out.filter((f) => f.name.length > 0);
}
