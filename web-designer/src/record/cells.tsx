// A field's value as a list or a section shows it, from the field's metadata.
import { Tag } from 'antd';
import { shownMasked, type FieldMeta } from '../api/client';
import { formatDecimal, formatInstant } from '../format';
import { label } from '../i18n';
export type { Row } from './values';
import type { Row } from './values';

/// The types a list shows in a column; longer or nested values stay on the record page.
export const LISTED = new Set(['text', 'email', 'phone', 'integer', 'decimal', 'date', 'datetime', 'single_select', 'multi_select', 'relation', 'boolean', 'formula']);

/// One cell, as the field's metadata says: money grouped at its scale from the exact
/// string, options by their labels, relations by their lookup fields, instants in the zone.
export function cell(field: FieldMeta, row: Row, language: 'zh-CN' | 'en', zone: string): React.ReactNode {
  const value = row[field.key];
  if (value === null || value === undefined) return '';
  if (shownMasked(field)) return String(value);
  switch (field.type) {
    case 'decimal':
      return <span className="number">{formatDecimal(String(value), field.scale ?? 2)}</span>;
    case 'datetime':
      return formatInstant(String(value), language, zone);
    case 'single_select': {
      const option = field.options?.find((o) => o.value === value);
      return <Tag>{option ? label(option.label, language) : String(value)}</Tag>;
    }
    case 'multi_select':
      return (Array.isArray(value) ? value : []).map((v) => <Tag key={String(v)}>{label(field.options?.find((o) => o.value === v)?.label, language) || String(v)}</Tag>);
    case 'relation': {
      const shown = row._lookup?.[field.key];
      return shown ? Object.values(shown).filter((v) => v !== null).join(' · ') : `#${String(value)}`;
    }
    default:
      return String(value);
  }
}

