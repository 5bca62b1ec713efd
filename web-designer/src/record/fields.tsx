// The field-renderer table: for each field type of the form metadata, the input that edits
// it and how its value goes between the API (decimals as strings, instants in RFC 3339,
// relations as ids) and the input. Record forms, task forms and (later) the form designer's
// preview all render fields through `FIELD_TYPES`; nothing is typed per app.
import { Input, Select, Switch } from 'antd';
import type { ReactNode } from 'react';
import { fromWallClock, toWallClock } from '../format';
import { label, type Language } from '../i18n';
import type { FieldMeta } from '../api/client';
import { Attachments } from './Attachments';
import { RelationPicker } from './RelationPicker';

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

interface FieldType {
  /// The input for the field; antd's Form.Item gives it `id`, `value` and `onChange`.
  input: (field: FieldMeta, ctx: InputContext) => ReactNode;
  /// The API's value as the input holds it.
  toInput?: (value: unknown, ctx: InputContext) => unknown;
  /// The input's value as the API takes it; `undefined` means empty.
  fromInput?: (value: unknown, ctx: InputContext) => unknown;
  /// The prop the input's value goes in (`checked` for a switch).
  valueProp?: string;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

const TEXT: FieldType = { input: (f, c) => <Input disabled={c.disabled} maxLength={f.max_length} />, fromInput: text };

export const FIELD_TYPES: Record<string, FieldType> = {
  text: TEXT,
  email: { ...TEXT, input: (f, c) => <Input type="email" disabled={c.disabled} maxLength={f.max_length} /> },
  phone: { ...TEXT, input: (f, c) => <Input type="tel" disabled={c.disabled} maxLength={f.max_length} /> },
  long_text: { ...TEXT, input: (f, c) => <Input.TextArea rows={4} disabled={c.disabled} maxLength={f.max_length} /> },
  // Digits as typed: the server checks scale and range, and nothing passes through a float.
  decimal: {
    input: (f, c) => <Input inputMode="decimal" disabled={c.disabled} suffix={f.currency} className="number" />,
    toInput: (v) => (v === null || v === undefined ? undefined : String(v)),
    fromInput: (v) => text(typeof v === 'string' ? v.replace(/[,\s]/g, '') : v),
  },
  integer: {
    input: (_, c) => <Input inputMode="numeric" disabled={c.disabled} className="number" />,
    toInput: (v) => (v === null || v === undefined ? undefined : String(v)),
    // An integer that is not one is sent as typed, for the server to refuse at the field.
    fromInput: (v) => {
      const t = text(v);
      return t !== undefined && /^-?\d{1,15}$/.test(t.trim()) ? Number(t) : t;
    },
  },
  boolean: { input: (_, c) => <Switch disabled={c.disabled} />, valueProp: 'checked', fromInput: (v) => (v === undefined ? undefined : Boolean(v)) },
  date: { input: (_, c) => <Input type="date" disabled={c.disabled} />, fromInput: text },
  // Typed on the reader's clocks, the zone said beside it; sent as a UTC instant.
  datetime: {
    input: (_, c) => <Input type="datetime-local" disabled={c.disabled} suffix={c.zone} />,
    toInput: (v, c) => (typeof v === 'string' ? toWallClock(v, c.zone) : undefined),
    fromInput: (v, c) => {
      const t = text(v);
      return t === undefined ? undefined : (fromWallClock(t, c.zone) ?? t);
    },
  },
  single_select: {
    input: (f, c) => <Select allowClear showSearch={{ optionFilterProp: 'label' }} disabled={c.disabled} options={options(f, c.language)} />,
    fromInput: (v) => (v === null ? undefined : v),
  },
  multi_select: {
    input: (f, c) => <Select mode="multiple" allowClear showSearch={{ optionFilterProp: 'label' }} disabled={c.disabled} options={options(f, c.language)} />,
    fromInput: (v) => (Array.isArray(v) && v.length > 0 ? v : undefined),
  },
  relation: {
    input: (f, c) => <RelationPicker app={c.app} form={f.form ?? ''} lookup={f.lookup ?? []} disabled={c.disabled} {...(c.shown ? { shown: c.shown } : {})} />,
    fromInput: (v) => (v === null ? undefined : v),
  },
  attachment: {
    input: (f, c) => <Attachments app={c.app} accept={f.accept ?? []} maxFiles={f.max_files ?? 1} maxSize={f.max_size} disabled={c.disabled} />,
    fromInput: (v) => (Array.isArray(v) && v.length > 0 ? v : undefined),
  },
};

function options(field: FieldMeta, language: Language) {
  return (field.options ?? []).map((o) => ({ value: o.value, label: label(o.label, language) }));
}

/// The renderer of a field's type; an unknown type is edited as text, never dropped.
export function fieldType(field: FieldMeta): FieldType {
  return FIELD_TYPES[field.type] ?? TEXT;
}
