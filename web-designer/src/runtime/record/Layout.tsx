import { useContext, type ReactNode } from 'react';
import { Tabs, Typography } from 'antd';
import type { FieldMeta, Schemas } from '../../api/client';
import { LanguageContext, label } from '../../i18n';

type FormLayout = Schemas['FormLayout'];
type Part = Schemas['LayoutPart'];

/// A form's fields as its metadata lays them out: in 1 to 3 columns, in titled sections,
/// the sections on tabs; fields in no section follow them (on the first tab). Every field
/// stays mounted, on whichever tab it is, so what was typed on one tab is kept on another.
/// Without a layout, the fields fill a grid in their order.
export function LaidOut({ layout, fields, item }: {
  layout: FormLayout | null | undefined; fields: FieldMeta[]; item: (field: FieldMeta) => ReactNode;
}) {
  const language = useContext(LanguageContext);
  const columns = layout?.columns ?? null;
  const grid = (shown: FieldMeta[]) => <div className={`record-grid${columns ? ` cols-${columns}` : ''}`}>{shown.map(item)}</div>;
  const sections = layout?.sections ?? [];
  if (sections.length === 0) return grid(fields);
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const placed = new Set(sections.flatMap((s) => s.fields ?? []));
  const rest = fields.filter((f) => !placed.has(f.key));
  const section = (s: Part) => {
    const shown = (s.fields ?? []).map((k) => byKey.get(k)).filter((f): f is FieldMeta => f !== undefined);
    if (shown.length === 0) return null;
    return (
      <section key={s.key} aria-labelledby={`section-${s.key}`} className="form-section">
        <Typography.Title level={2} id={`section-${s.key}`} className="form-section-title">{label(s.label, language)}</Typography.Title>
        {grid(shown)}
      </section>
    );
  };
  const tabs = layout?.tabs ?? [];
  if (tabs.length === 0) return <>{sections.map(section)}{rest.length > 0 && grid(rest)}</>;
  const first = tabs[0]?.key;
  return (
    <Tabs
      items={tabs.map((tab) => ({
        key: tab.key,
        label: label(tab.label, language),
        forceRender: true,
        children: (
          <>
            {sections.filter((s) => (s.tab ?? first) === tab.key).map(section)}
            {tab.key === first && rest.length > 0 && grid(rest)}
          </>
        ),
      }))}
    />
  );
}
