import { useContext } from 'react';
import { Form, Select, Table, Typography } from 'antd';
import type { FieldMeta, ImportJob, MappingSpec, ProblemItem, WorkspaceForm } from '../../api/client';
import { LanguageContext, label, useT } from '../../i18n';
import { useForms, ZoneContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';

/// Field types a column can go into (computed, sub-table and attachment fields cannot).
const IMPORTABLE = new Set(['text', 'long_text', 'integer', 'decimal', 'boolean', 'date', 'datetime', 'single_select', 'multi_select', 'email', 'phone', 'relation']);

/// The unique fields of `form` records can be matched on.
export const keyFields = (form: WorkspaceForm | undefined): FieldMeta[] =>
  (form?.fields ?? []).filter((f) => f.unique && (f.type === 'text' || f.type === 'integer') && f.mode === 'visible');

/// Where a column can go: a field, or a relation by the related record's id or by a unique
/// field of the related form (`relationship_manager.employee_no`).
function useTargets(app: string, form: WorkspaceForm): { value: string; label: string }[] {
  const t = useT();
  const language = useContext(LanguageContext);
  const all = useForms(app);
  const targets: { value: string; label: string }[] = [];
  for (const f of form.fields.filter((f) => IMPORTABLE.has(f.type) && f.mode === 'visible')) {
    const name = label(f.label, language) || f.key;
    if (f.type !== 'relation') {
      targets.push({ value: f.key, label: name });
      continue;
    }
    targets.push({ value: f.key, label: t('import.byId', { field: name }) });
    for (const k of keyFields(all.find((r) => r.key === f.form))) {
      targets.push({ value: `${f.key}.${k.key}`, label: t('import.byKey', { field: name, key: label(k.label, language) || k.key }) });
    }
  }
  return targets;
}

/// The columns of a file matched to the form's fields: a target per column (or none), the
/// key records are matched on, the zone date-times without an offset are read in, and an
/// earlier import's mapping to start from. Every column is named (`""`: left out), so the
/// server imports what is shown. The server's problems are shown at the column (or the key,
/// or the zone) they are about.
export function MappingEditor({ app, form, header, sample, mapping, earlier, appZone, problems, onChange }: {
  app: string; form: WorkspaceForm; header: string[]; sample: string[]; mapping: MappingSpec; earlier: ImportJob[];
  appZone: string; problems: ProblemItem[]; onChange: (mapping: MappingSpec) => void;
}) {
  const t = useT();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const targets = useTargets(app, form);
  const keys = keyFields(form);
  const columns = mapping.columns ?? {};
  const problemAt = (path: string) => problems.find((p) => p.path === path);
  const problemText = (p: ProblemItem | undefined) => {
    if (!p) return undefined;
    if (p.path === '/key') return t('import.problem.key');
    if (p.path === '/zone') return t('import.problem.zone');
    return t('import.problem.column', { why: p.message });
  };
  const setColumn = (column: string, target: string) => {
    onChange({ ...mapping, columns: { ...columns, [column]: target } });
  };
  const reusable = earlier.filter((e) => e.mapping);
  const reuse = (id: number) => {
    const from = reusable.find((e) => e.id === id)?.mapping;
    if (!from) return;
    const kept = Object.fromEntries(Object.entries(from.columns ?? {}).filter(([column]) => header.includes(column)));
    onChange({ ...mapping, key: from.key, zone: from.zone ?? null, columns: { ...columns, ...kept } });
  };
  const zones = Intl.supportedValuesOf('timeZone');
  return (
    <Form layout="vertical" className="import-mapping">
      {reusable.length > 0 && (
        <Form.Item label={t('import.reuse')} htmlFor="import-reuse">
          <Select id="import-reuse" style={{ maxWidth: 420 }} value={null} onChange={reuse}
            options={reusable.map((e) => ({ value: e.id, label: t('import.reuseFrom', { file: e.file_name, when: formatInstant(e.started_at, language, zone, { sayZone: false }) }) }))} />
        </Form.Item>
      )}
      <Form.Item label={t('import.key')} htmlFor="import-key" extra={keys.length ? t('import.keyHelp') : t('import.noKey')}
        validateStatus={problemAt('/key') ? 'error' : ''} help={problemText(problemAt('/key')) ?? null}>
        <Select id="import-key" style={{ maxWidth: 420 }} value={mapping.key || null} onChange={(key: string) => onChange({ ...mapping, key })}
          options={keys.map((k) => ({ value: k.key, label: label(k.label, language) || k.key }))} />
      </Form.Item>
      <Form.Item label={t('import.zone')} htmlFor="import-zone" validateStatus={problemAt('/zone') ? 'error' : ''} help={problemText(problemAt('/zone')) ?? null}>
        <Select id="import-zone" style={{ maxWidth: 420 }} showSearch={{ optionFilterProp: 'label' }} value={mapping.zone ?? ''}
          onChange={(zone: string) => onChange({ ...mapping, zone: zone || null })}
          options={[{ value: '', label: t('import.appZone', { zone: appZone }) }, ...zones.map((z) => ({ value: z, label: z }))]} />
      </Form.Item>
      <Table size="small" pagination={false} rowKey="column" dataSource={header.map((column, i) => ({ column, sample: sample[i] ?? '' }))}
        columns={[
          { title: t('import.column'), dataIndex: 'column', key: 'column' },
          { title: t('import.sample'), dataIndex: 'sample', key: 'sample', render: (v: string) => <Typography.Text type="secondary">{v}</Typography.Text> },
          {
            title: t('import.target'), key: 'target', width: '45%', render: (_: unknown, row: { column: string }) => {
              const problem = problemText(problemAt(`/columns/${row.column}`));
              return (
                <>
                  <Select aria-label={t('import.targetOf', { column: row.column })} style={{ width: '100%' }} showSearch={{ optionFilterProp: 'label' }}
                    status={problem ? 'error' : ''} value={columns[row.column] ?? ''} onChange={(v: string) => setColumn(row.column, v)}
                    options={[{ value: '', label: t('import.skip') }, ...targets]} />
                  {problem && <Typography.Text type="danger" role="alert">{problem}</Typography.Text>}
                </>
              );
            },
          },
        ]} />
    </Form>
  );
}
