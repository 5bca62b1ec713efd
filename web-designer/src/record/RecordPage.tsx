import { useContext, useEffect, useState } from 'react';
import { Alert, Badge, Breadcrumb, Spin, Tabs, Typography } from 'antd';
import { api, type FieldMeta, type Problem, type WorkspaceForm } from '../api/client';
import { LanguageContext, label, useT } from '../i18n';
import type { Page } from '../route';
import { RecordForm } from './RecordForm';
import { Timeline } from './Timeline';
import { Figures, SectionView, usePageView } from './PageView';
import { refusalText } from './problems';
import type { Row } from './values';

/// A record's page: its form (to read and edit) and its timeline; a new record's page is
/// its empty form, which becomes the record's page once saved.
export function RecordPage({ app, form, id, go }: { app: string; form: WorkspaceForm; id: number | null; go: (page: Page) => void }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const [record, setRecord] = useState<Row | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const fields = form.fields as unknown as FieldMeta[];
  // A form with a page laid out in metadata (a customer 360) shows its figures and sections.
  const laidOut = usePageView(app, form.page, id);

  useEffect(() => {
    setRecord(null);
    setProblem(null);
    if (id === null) return;
    void api.GET('/api/v1/apps/{app}/forms/{form}/records/{id}', { params: { path: { app, form: form.key, id } } }).then(({ data, error, response }) => {
      if (data) setRecord(data as unknown as Row);
      else setProblem(response.status === 404 ? t('record.missing') : refusalText(error as Problem | undefined, language));
    });
  }, [app, form.key, id]);

  const title = id === null ? t('record.new', { form: label(form.label, language) })
    : record ? String(record[form.title_field ?? 'id'] ?? `#${id}`) : '';
  const crumbs = (
    <Breadcrumb items={[
      { title: <a href={`/apps/${app}/forms/${form.key}`} onClick={(e) => { e.preventDefault(); go({ kind: 'list', app, form: form.key }); }}>{label(form.label, language)}</a> },
      { title },
    ]} />
  );
  const saved = (row: Row) => (id === null ? go({ kind: 'record', app, form: form.key, id: row.id }) : setRecord(row));
  return (
    <section aria-labelledby="record-title">
      {crumbs}
      <Typography.Title level={3} id="record-title">{title}</Typography.Title>
      {problem && <Alert role="alert" type="error" title={problem} />}
      {id === null ? (
        <RecordForm app={app} form={form} record={null} onSaved={saved} />
      ) : !record ? (
        !problem && <Spin />
      ) : (
        <>
          {laidOut && <Figures page={laidOut} />}
          <Tabs items={[
            { key: 'form', label: t('record.details'), children: <RecordForm app={app} form={form} record={record} onSaved={saved} /> },
            ...(laidOut?.sections ?? []).map((section) => ({
              key: `section-${section.key}`,
              label: <span>{label(section.label, language)} <Badge count={section.total} size="small" color="#8c8c8c" showZero /></span>,
              children: <SectionView app={app} section={section} go={go} />,
            })),
            { key: 'timeline', label: t('timeline.title'), children: <Timeline app={app} form={form.key} id={record.id} fields={fields} /> },
          ]} />
        </>
      )}
    </section>
  );
}
