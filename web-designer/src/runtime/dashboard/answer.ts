// A report's answer as the screen reads it: the generated API types, and how a cell reads
// in words — a select's value by its option's label, a measure at its scale grouped by
// thousands from the exact string (never through a float), a share as a percentage.
import type { Schemas } from '../../api/client';
import { label, type Language } from '../../i18n';
import { formatDecimal } from '../../ui/format';

export type Answer = Schemas['ReportAnswer'];
export type Column = Schemas['ReportColumn'];
export type Row = Schemas['ReportRow'];
export type Board = Schemas['DashboardAnswer'];
export type Card = Schemas['DashboardCard'];
export type Parameter = Schemas['ReportParameter'];

/// A dimension's value in words: an option's label, or the value as it is ("—" for none).
export function keyText(column: Column | undefined, key: string | null | undefined, language: Language, empty: string): string {
  if (key === null || key === undefined) return empty;
  const option = column?.options?.find((o) => o.key === key);
  return option ? label(option.label, language) : key;
}

/// A measure's value in words, exact: grouped at its scale, a share as a percentage.
export function valueText(column: Column | undefined, value: string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (column?.type === 'share') {
    const percent = shifted(value, 2);
    return `${formatDecimal(percent, Math.max((column.scale ?? 4) - 2, 0))}%`;
  }
  return formatDecimal(value, column?.scale ?? 0);
}

/// A decimal string times 10^places, still a string: no float on the way.
export function shifted(value: string, places: number): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) return value;
  const [, sign, whole = '0', fraction = ''] = match;
  const digits = `${whole}${fraction.padEnd(places, '0')}`;
  const point = whole.length + places;
  const joined = `${digits.slice(0, point)}${digits.length > point ? `.${digits.slice(point)}` : ''}`;
  return `${sign}${joined.replace(/^0+(?=\d)/, '')}`;
}
