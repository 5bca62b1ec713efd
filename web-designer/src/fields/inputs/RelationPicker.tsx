import { useContext, useEffect, useState } from 'react';
import { Select } from 'antd';
import type { Row } from '../../api/client';
import { useQuery } from '@tanstack/react-query';
import { queries, useSearch } from '../../api/queries';
import { LanguageContext, label } from '../../i18n';
import { useForm } from '../../ui/contexts';

/// A relation's picker: the related records the user may read, searched on the server by
/// their title and lookup fields as the user types (debounced), each shown with its lookup
/// fields (`李伟 · 私行 · 137****0001`). It takes the id its form item gives, so its label
/// names it; `shown` says what the current value is before any search.
export function RelationPicker({ app, form, lookup, disabled, shown, id, value, onChange }: {
  app: string; form: string; lookup: string[]; disabled: boolean; shown?: string;
  id?: string; value?: number; onChange?: (v: number | null) => void;
}) {
  const language = useContext(LanguageContext);
  const target = useForm(app, form);
  const title = target?.title_field ?? lookup[0] ?? 'id';
  const fields = [...new Set([title, ...lookup])].filter((f) => f !== 'id');
  const [typed, setTyped] = useState('');
  const [text, setText] = useState('');
  // The server is asked once typing pauses, not per keystroke.
  useEffect(() => {
    const timer = window.setTimeout(() => setText(typed), 250);
    return () => window.clearTimeout(timer);
  }, [typed]);
  const found = useSearch(app, form, fields, text, target !== undefined);
  /// A lookup value as the related form shows it: an option by its label.
  const shownAs = (key: string, v: unknown) => {
    const option = target?.fields.find((m) => m.key === key)?.options?.find((o) => o.value === v);
    return option ? label(option.label, language) : String(v);
  };
  const describe = (r: Row) =>
    fields.filter((f) => r[f] !== null && r[f] !== undefined && r[f] !== '').map((f) => shownAs(f, r[f])).join(' · ') || `#${r.id}`;
  const options = (found.data?.items ?? []).map((r) => ({ value: r.id, label: describe(r) }));
  const unlisted = value !== undefined && value !== null && !options.some((o) => o.value === value);
  // A value given before any search (a follow-up started from its customer) names itself.
  const current = useQuery({ ...queries.record(app, form, value ?? 0), enabled: unlisted && !shown && target !== undefined });
  const known = unlisted ? [{ value, label: shown ?? (current.data ? describe(current.data) : `#${value}`) }] : [];
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: setTyped }}
      options={[...known, ...options]}
      loading={found.isFetching}
      allowClear
      disabled={disabled || !target}
      {...(id ? { id } : {})}
      {...(value !== undefined ? { value } : {})}
      onChange={(v: number | undefined) => onChange?.(v ?? null)}
    />
  );
}
