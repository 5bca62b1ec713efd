import { useContext, useEffect, useRef, useState } from 'react';
import { Select } from 'antd';
import { api, type FieldMeta } from '../api/client';
import { LanguageContext, label } from '../i18n';
import { WorkspaceContext } from '../workspace';

type Found = Record<string, unknown> & { id: number };

/// A relation's picker: the related records the user may read, searched on the server by
/// their title and lookup fields as the user types (debounced), each shown with its lookup
/// fields (`李伟 · 私行 · 137****0001`). It takes the id its form item gives, so its label
/// names it; `shown` says what the current value is before any search.
export function RelationPicker({ app, form, lookup, disabled, shown, id, value, onChange }: {
  app: string; form: string; lookup: string[]; disabled: boolean; shown?: string;
  id?: string; value?: number; onChange?: (v: number | null) => void;
}) {
  const workspace = useContext(WorkspaceContext);
  const language = useContext(LanguageContext);
  const target = workspace?.apps.find((a) => a.key === app)?.forms.find((f) => f.key === form);
  const title = target?.title_field ?? lookup[0] ?? 'id';
  const fields = [...new Set([title, ...lookup])].filter((f) => f !== 'id');
  const metas = (target?.fields ?? []) as unknown as FieldMeta[];
  /// A lookup value as the related form shows it: an option by its label.
  const shownAs = (key: string, value: unknown) => {
    const meta = metas.find((m) => m.key === key);
    const option = meta?.options?.find((o) => o.value === value);
    return option ? label(option.label, language) : String(value);
  };
  const [options, setOptions] = useState<{ value: number; label: string }[]>([]);
  const [loading, setLoading] = useState(false);
  const timer = useRef<number | undefined>(undefined);

  function search(text: string) {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      setLoading(true);
      const query: Record<string, string | number> = { limit: 20, fields: fields.join(',') };
      if (text.trim()) query.search = text.trim();
      void api.GET('/api/v1/apps/{app}/forms/{form}/records', { params: { path: { app, form }, query } }).then(({ data }) => {
        setLoading(false);
        const items = (data as unknown as { items?: Found[] } | undefined)?.items ?? [];
        setOptions(items.map((r) => ({ value: r.id, label: fields.filter((f) => r[f] !== null && r[f] !== undefined && r[f] !== '').map((f) => shownAs(f, r[f])).join(' · ') || `#${r.id}` })));
      });
    }, 250);
  }

  useEffect(() => {
    if (target) search('');
    return () => window.clearTimeout(timer.current);
  }, [app, form]);

  const known = value !== undefined && value !== null && !options.some((o) => o.value === value)
    ? [{ value, label: shown ?? `#${value}` }]
    : [];
  return (
    <Select
      showSearch={{ filterOption: false, onSearch: search }}
      options={[...known, ...options]}
      loading={loading}
      allowClear
      disabled={disabled || !target}
      {...(id ? { id } : {})}
      {...(value !== undefined ? { value } : {})}
      onChange={(v: number | undefined) => onChange?.(v ?? null)}
    />
  );
}
