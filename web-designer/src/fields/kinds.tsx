// The field-kind table: for each field type of the form metadata, everything a screen
// needs to know about it — its input and how its value goes between the API (decimals as
// strings, instants in RFC 3339, relations as ids) and the input; its list cell and
// alignment; whether a list shows it, sorts by it and bulk edit sets it; its filter
// operators, their value input and how a value is written in `where=` text. Record forms,
// task forms, bulk edit, lists, record pages' sections and the filter builder all read it,
// as the form designer's palette and preview will. A new field type is one entry here
// (and its locale strings); nothing else decides per type.
import { Input, Select, Switch, Tag, type InputProps } from 'antd';
import type { ReactNode } from 'react';
import { shownMasked, type FieldMeta, type FieldType, type Row, type WorkspaceForm } from '../api/client';
import { formatDecimal, formatInstant, fromWallClock, toWallClock } from '../ui/format';
import { label, translate, type Language, joinIn } from '../i18n';
import { Attachments } from './inputs/Attachments';
import { DateInput } from './inputs/DateInput';
import { RelationPicker } from './inputs/RelationPicker';

/// What an input needs besides its field: the app (relations, uploads), the reader's
/// language and zone, and whether it is read only.
export interface InputContext {
  app: string;
  language: Language;
  zone: string;
  disabled: boolean;
  /// What a relation's current value is called (its lookup fields), before any search.
  shown?: string;
}

/// Who a value is shown to: their language and zone, and the app's forms they read (what
/// a relation's looked-up values are, so they too are shown as their fields say).
export interface ShownIn {
  language: Language;
  zone: string;
  forms?: WorkspaceForm[];
}

/// A filter operator; which fit a field is its kind's `ops`.
export type Op = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'starts' | 'has' | 'empty' | 'filled';

/// A filter condition's value input: what it holds (text as typed, an option's value, an
/// id) and its accessible name.
export interface FilterInput {
  id: string;
  label: string;
  value: string | number | null;
  onChange: (value: string | number | null) => void;
  ctx: InputContext;
}

export interface FieldKind {
  /// The input for the field; antd's Form.Item gives it `id`, `value` and `onChange`.
  input: (field: FieldMeta, ctx: InputContext) => ReactNode;
  /// The API's value as the input holds it.
  toInput?: (value: unknown, ctx: InputContext, field: FieldMeta) => unknown;
  /// The input's value as the API takes it; `undefined` means empty.
  fromInput?: (value: unknown, ctx: InputContext, field: FieldMeta) => unknown;
  /// The prop the input's value goes in (`checked` for a switch).
  valueProp?: string;
  /// A value as words, wherever a value is written out (a timeline's change, a title, a
  /// cell): option labels, money at its scale, instants in the reader's zone (default: as it
  /// came).
  text?: (field: FieldMeta, value: unknown, ctx: ShownIn) => string;
  /// A value as a list cell or a section shows it, when more than its text (a tag).
  cell?: (field: FieldMeta, value: unknown, row: Row, ctx: ShownIn) => ReactNode;
  /// Numbers are right-aligned in columns.
  numeric?: (field: FieldMeta) => boolean;
  /// Whether a list shows it as a column (long or nested values stay on the record page).
  listed: boolean;
  /// Whether a list sorts by it.
  sortable: boolean;
  /// Whether bulk edit sets it on many records at once.
  bulk: boolean;
  /// A form's whole width, not one column of its grid.
  wide?: boolean;
  /// Drawn by the form itself rather than as an input: a formula's computed value, a
  /// sub-table's rows.
  special?: 'formula' | 'sub_table';
  /// The filter operators that fit it, the first the default.
  ops: Op[];
  /// The input of a filter condition's value (default: text).
  filterInput?: (field: FieldMeta, props: FilterInput) => ReactNode;
  /// A value as typed in the filter, written as a literal of the expression language, or
  /// null while it is not one of the type.
  literal?: (text: string, zone: string) => string | null;
  /// A condition this kind writes its own way (a day of instants is a range); null for the
  /// usual `key op literal`.
  condition?: (key: string, op: Op, text: string, zone: string) => string | null;
}

/// A text literal: quoted, `\` escaping quotes and itself.
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
const asText = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
const ORDERED: Op[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'empty', 'filled'];
const CHOSEN: Op[] = ['eq', 'ne', 'empty', 'filled'];

const textFilter = (_: FieldMeta, p: FilterInput) => (
  <Input id={p.id} aria-label={p.label} style={{ minWidth: 180 }} value={String(p.value ?? '')} onChange={(e) => p.onChange(e.target.value)} />
);
const numberFilter = (_: FieldMeta, p: FilterInput) => (
  <Input id={p.id} aria-label={p.label} style={{ minWidth: 180 }} inputMode="decimal" className="number" value={String(p.value ?? '')}
    onChange={(e) => p.onChange(e.target.value)} />
);
const dayFilter = (_: FieldMeta, p: FilterInput) => (
  <DateInput id={p.id} aria-label={p.label} value={typeof p.value === 'string' ? p.value : undefined} disabled={false}
    onChange={(v) => p.onChange(v ?? null)} />
);
const optionFilter = (f: FieldMeta, p: FilterInput) => (
  <Select id={p.id} aria-label={p.label} style={{ minWidth: 180 }} showSearch={{ optionFilterProp: 'label' }} value={p.value === null ? null : String(p.value)}
    options={options(f, p.ctx.language)} onChange={(v: string) => p.onChange(v)} />
);
const optionLabel = (f: FieldMeta, value: unknown, language: Language) =>
  label(f.options?.find((o) => o.value === value)?.label ?? undefined, language) || String(value);

/// The colours an option may be shown in: dark text on a light tint, each at least 7:1.
const OPTION_COLOURS: Record<string, [string, string]> = {
  blue: ['#003eb3', '#e6f4ff'], green: ['#135200', '#f6ffed'], gold: ['#613400', '#fffbe6'],
  orange: ['#873800', '#fff7e6'], red: ['#a8071a', '#fff1f0'], purple: ['#391085', '#f9f0ff'],
  cyan: ['#00474f', '#e6fffb'], magenta: ['#780650', '#fff0f6'], gray: ['#262626', '#f5f5f5'],
};

/// An option as a tag, in its colour.
function OptionTag({ field, value, language }: { field: FieldMeta; value: unknown; language: Language }) {
  const colour = OPTION_COLOURS[field.options?.find((o) => o.value === value)?.color ?? ''];
  const style = colour ? { color: colour[0], background: colour[1], borderColor: colour[1] } : undefined;
  return <Tag {...(style ? { style } : {})}>{optionLabel(field, value, language)}</Tag>;
}

/// What numbers share: typed as digits, right-aligned, compared in order.
const NUMBER = { toInput: asText, numeric: () => true, listed: true, sortable: true, bulk: true, ops: ORDERED, filterInput: numberFilter };

const TEXT: FieldKind = {
  input: (f, c) => <Input disabled={c.disabled} maxLength={f.max_length ?? undefined} />,
  fromInput: text,
  listed: true,
  sortable: true,
  bulk: true,
  ops: ['contains', 'starts', 'eq', 'ne', 'empty', 'filled'],
  filterInput: textFilter,
};

/// A decimal's input. Read-only (AUM, derived by the rules), it shows the amount grouped
/// as every other place does (6,200,000.00); typed, it takes the digits as they are typed.
function DecimalInput({ scale, value, ...rest }: InputProps & { scale: number }) {
  const shown = rest.disabled && (typeof value === 'string' || typeof value === 'number') && value !== '' ? formatDecimal(String(value), scale) : value;
  return <Input inputMode="decimal" className="number" {...rest} value={shown} />;
}

export const FIELD_KINDS: Record<FieldType, FieldKind> = {
  text: TEXT,
  email: { ...TEXT, input: (f, c) => <Input type="email" disabled={c.disabled} maxLength={f.max_length ?? undefined} /> },
  phone: { ...TEXT, input: (f, c) => <Input type="tel" disabled={c.disabled} maxLength={f.max_length ?? undefined} /> },
  long_text: {
    ...TEXT,
    input: (f, c) => <Input.TextArea rows={4} disabled={c.disabled} maxLength={f.max_length ?? undefined} />,
    listed: false,
    wide: true,
  },
  // Digits as typed: the server checks scale and range, and nothing passes through a float.
  decimal: {
    ...NUMBER,
    input: (f, c) => <DecimalInput scale={f.scale ?? 2} disabled={c.disabled} suffix={f.currency} />,
    fromInput: (v) => text(typeof v === 'string' ? v.replace(/[,\s]/g, '') : v),
    text: (f, v) => formatDecimal(String(v), f.scale ?? 2),
    cell: (f, v) => <span className="number">{formatDecimal(String(v), f.scale ?? 2)}</span>,
    literal: (t) => (/^-?\d+(\.\d+)?$/.test(t.replace(/,/g, '')) ? t.replace(/,/g, '') : null),
  },
  integer: {
    ...NUMBER,
    input: (_, c) => <Input inputMode="numeric" disabled={c.disabled} className="number" />,
    // An integer that is not one is sent as typed, for the server to refuse at the field.
    fromInput: (v) => {
      const t = text(v);
      return t !== undefined && /^-?\d{1,15}$/.test(t.trim()) ? Number(t) : t;
    },
    literal: (t) => (/^-?\d+$/.test(t) ? t : null),
  },
  boolean: {
    input: (_, c) => <Switch disabled={c.disabled} />,
    valueProp: 'checked',
    fromInput: (v) => (v === undefined ? undefined : Boolean(v)),
    // In words, never `true`.
    text: (_, v, c) => translate(c.language, v === true ? 'value.yes' : 'value.no'),
    listed: true,
    sortable: true,
    bulk: true,
    ops: ['eq'],
    filterInput: (_, p) => (
      <Select id={p.id} aria-label={p.label} style={{ minWidth: 180 }} value={p.value === null ? null : String(p.value)}
        options={[{ value: 'true', label: translate(p.ctx.language, 'filter.yes') }, { value: 'false', label: translate(p.ctx.language, 'filter.no') }]}
        onChange={(v: string) => p.onChange(v)} />
    ),
    literal: (t) => (t === 'true' ? 'true' : 'false'),
  },
  date: {
    input: (_, c) => <DateInput disabled={c.disabled} />,
    fromInput: text,
    listed: true,
    sortable: true,
    bulk: true,
    ops: ORDERED,
    filterInput: dayFilter,
    literal: (t) => (/^\d{4}-\d{2}-\d{2}$/.test(t) ? `date(${quote(t)})` : null),
  },
  // Typed on the reader's clocks, the zone said beside it; sent as a UTC instant.
  datetime: {
    input: (_, c) => <DateInput withTime zone={c.zone} disabled={c.disabled} />,
    toInput: (v, c) => (typeof v === 'string' ? toWallClock(v, c.zone).replace('T', ' ') : undefined),
    fromInput: (v, c) => {
      const t = text(v);
      return t === undefined ? undefined : (fromWallClock(t.replace(' ', 'T'), c.zone) ?? t);
    },
    text: (_, v, c) => formatInstant(String(v), c.language, c.zone),
    listed: true,
    sortable: true,
    bulk: true,
    ops: ORDERED,
    filterInput: dayFilter,
    // A day on the reader's clocks: from the instant it begins in their zone.
    literal: (t, zone) => (/^\d{4}-\d{2}-\d{2}$/.test(t) ? `start_of_day(date(${quote(t)}), ${quote(zone)})` : null),
    // Equal to a day is within it: from its start to the next day's.
    condition: (key, op, t, zone) => {
      if (op !== 'eq' && op !== 'ne') return null;
      const within = `(${key} >= start_of_day(date(${quote(t)}), ${quote(zone)}) and ${key} < start_of_day(add_days(date(${quote(t)}), 1), ${quote(zone)}))`;
      return op === 'eq' ? within : `not ${within}`;
    },
  },
  single_select: {
    input: (f, c) => <Select allowClear showSearch={{ optionFilterProp: 'label' }} disabled={c.disabled} options={options(f, c.language)} />,
    fromInput: (v) => (v === null ? undefined : v),
    text: (f, v, c) => optionLabel(f, v, c.language),
    cell: (f, v, _, c) => <OptionTag field={f} value={v} language={c.language} />,
    listed: true,
    sortable: true,
    bulk: true,
    ops: CHOSEN,
    filterInput: optionFilter,
  },
  multi_select: {
    input: (f, c) => <Select mode="multiple" allowClear showSearch={{ optionFilterProp: 'label' }} disabled={c.disabled} options={options(f, c.language)} />,
    fromInput: (v) => (Array.isArray(v) && v.length > 0 ? v : undefined),
    text: (f, v, c) => joinIn(c.language, (Array.isArray(v) ? v : []).map((o) => optionLabel(f, o, c.language))),
    cell: (f, v, _, c) => (Array.isArray(v) ? v : []).map((o) => <OptionTag key={String(o)} field={f} value={o} language={c.language} />),
    listed: true,
    sortable: false,
    bulk: true,
    ops: ['has', 'empty', 'filled'],
    filterInput: optionFilter,
  },
  relation: {
    input: (f, c) => (
      <RelationPicker app={c.app} form={f.form ?? ''} lookup={f.lookup ?? []} disabled={c.disabled} {...(c.shown ? { shown: c.shown } : {})} />
    ),
    fromInput: (v) => (v === null ? undefined : v),
    text: (_, v) => `#${String(v)}`,
    // By the related record's lookup fields (each as its field says), else its id.
    cell: (f, v, row, c) => lookupText(f, row._lookup?.[f.key], c) || `#${String(v)}`,
    listed: true,
    sortable: true,
    bulk: true,
    ops: CHOSEN,
    filterInput: (f, p) => (
      <div style={{ minWidth: 220 }}>
        <RelationPicker id={p.id} app={p.ctx.app} form={f.form ?? ''} lookup={f.lookup ?? []} disabled={false}
          {...(typeof p.value === 'number' ? { value: p.value } : {})} onChange={(v) => p.onChange(v)} />
      </div>
    ),
    literal: (t) => (/^\d+$/.test(t) ? t : null),
  },
  attachment: {
    input: (f, c) => <Attachments app={c.app} accept={f.accept ?? []} maxFiles={f.max_files ?? 1} maxSize={f.max_size ?? undefined} disabled={c.disabled} />,
    fromInput: (v) => (Array.isArray(v) && v.length > 0 ? v : undefined),
    // By the files' names.
    text: (_, v, c) => joinIn(c.language, (Array.isArray(v) ? v : []).map((f) => (f && typeof f === 'object' && 'name' in f ? String(f.name) : String(f)))),
    listed: false,
    sortable: false,
    bulk: false,
    wide: true,
    ops: ['empty', 'filled'],
  },
  // Computed by the server's engine: shown, never typed.
  formula: {
    input: () => <Input readOnly className="number" />,
    text: (f, v) => formulaText(f, v),
    cell: (f, v) => <span className={kindOf(f).numeric?.(f) ? 'number' : undefined}>{formulaText(f, v)}</span>,
    numeric: (f) => f.result_type === 'decimal' || f.result_type === 'integer',
    listed: true,
    sortable: true,
    bulk: false,
    special: 'formula',
    ops: CHOSEN,
  },
  sub_table: {
    input: () => null,
    // Its rows, counted.
    text: (_, v, c) => translate(c.language, 'value.rows', { count: Array.isArray(v) ? v.length : 0 }),
    listed: false,
    sortable: false,
    bulk: false,
    wide: true,
    special: 'sub_table',
    ops: [],
  },
};

function options(field: FieldMeta, language: Language) {
  return (field.options ?? []).map((o) => ({ value: o.value, label: label(o.label, language) }));
}

/// The kind of a field; a type this build does not know is treated as text, never dropped.
export function kindOf(field: FieldMeta): FieldKind {
  return FIELD_KINDS[field.type] ?? TEXT;
}

/// One value as a list cell or a section shows it, as the field's kind says: money grouped
/// at its scale from the exact string, options by their labels, relations by their lookup
/// fields, instants in the zone; a masked value as the server masked it.
export function cell(field: FieldMeta, row: Row, shown: ShownIn): ReactNode {
  const value = row[field.key];
  if (value === null || value === undefined) return '';
  if (shownMasked(field)) return String(value);
  const kind = kindOf(field);
  return kind.cell ? kind.cell(field, value, row, shown) : valueText(field, value, shown);
}

/// A related record as its relation's lookup fields name it (`李伟 · 高净值 · 137****0001`),
/// each value as its field in the related form says; `first` only its first (its name).
export function lookupText(field: FieldMeta, lookup: Record<string, unknown> | null | undefined, shown: ShownIn, first = false): string {
  if (!lookup) return '';
  const target = shown.forms?.find((f) => f.key === field.form);
  const words = Object.entries(lookup)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => valueText(target?.fields.find((m) => m.key === k), v, shown));
  return (first ? words.slice(0, 1) : words).join(' · ');
}

/// One value in words, as its field's kind writes it; empty as "—". A value the server
/// masked is shown as it came.
export function valueText(field: FieldMeta | undefined, value: unknown, shown: ShownIn): string {
  if (value === null || value === undefined || value === '') return '—';
  if (!field) return typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (shownMasked(field)) return String(value);
  const text = kindOf(field).text;
  return text ? text(field, value, shown) : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/// A formula's value as text: a decimal grouped at its scale, anything else as it came.
export function formulaText(field: FieldMeta, value: unknown): string {
  if (value === null || value === undefined) return '';
  return field.result_type === 'decimal' ? formatDecimal(String(value), field.scale ?? 2) : String(value);
}

/// How a column of the field aligns.
export const alignOf = (field: FieldMeta): 'left' | 'right' => (kindOf(field).numeric?.(field) ? 'right' : 'left');
