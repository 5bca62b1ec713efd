import { useContext } from 'react';
import { Alert, App as Feedback, Badge, Breadcrumb, Spin, Tabs, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Row, WorkspaceForm } from '../../api/client';
import { problemOf, queries, recordWritten } from '../../api/queries';
import { lookupText, type ShownIn, valueText } from '../../fields/kinds';
import { LanguageContext, label, useT } from '../../i18n';
import { useForm, useForms, ZoneContext } from '../../ui/contexts';
import { refusalText } from '../../ui/problems';
import { follow, paths, useNavigate, type Params } from '../../ui/router';
import NotFound from '../NotFound';
import { Figures, SectionView } from './PageView';
import { RecordForm } from './RecordForm';
import { Timeline } from './Timeline';
import { useStart } from './start';

/// The record screen of `…/records/:id`, and of `…/new` (no id).
export default function RecordScreen({ params: { app = '', form = '', id } }: { params: Params }) {
  const found = useForm(app, form);
  return found && (id === undefined || /^\d+$/.test(id)) ? <RecordPage app={app} form={found} id={id === undefined ? null : Number(id)} /> : <NotFound />;
}

/// A record's page: its form (to read and edit) and its timeline; a new record's page is
/// its empty form, which becomes the record's page once saved.
function RecordPage({ app, form, id }: { app: string; form: WorkspaceForm; id: number | null }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const forms = useForms(app);
  const go = useNavigate();
  const client = useQueryClient();
  const { message } = Feedback.useApp();
  const record = useQuery({ ...queries.record(app, form.key, id ?? 0), enabled: id !== null });
  // A form with a page laid out in metadata (a customer 360) shows its figures and sections.
  const laidOut = useQuery({ ...queries.page(app, form.page ?? '', id ?? 0), enabled: id !== null && !!form.page }).data;
  const start = useStart(app, form, window.location.search);
  const refusal = record.isError ? problemOf(record.error) : undefined;
  const problem = refusal ? (refusal.status === 404 ? t('record.missing') : refusalText(refusal, language)) : null;
  const row = record.data ?? null;

  const title = id === null ? t('record.new', { form: label(form.label, language) })
    : row ? titleOf(form, row, { language, zone, forms }) : '';
  const crumbs = (
    <Breadcrumb items={[{ title: <a {...follow(go, paths.list(app, form.key))}>{label(form.label, language)}</a> }, { title }]} />
  );
  function saved(next: Row) {
    client.setQueryData(queries.record(app, form.key, next.id).queryKey, next);
    // Said, and everything on screen the save may have changed (figures, sections and their
    // counts, the timeline, lists, the inbox's badges) read again.
    void message.success(t('form.saved'));
    void recordWritten(client, app);
    if (id === null) go(paths.record(app, form.key, next.id));
  }
  return (
    <section aria-labelledby="record-title">
      {crumbs}
      <Typography.Title level={1} className="page-title" id="record-title">{title}</Typography.Title>
      {problem && <Alert role="alert" type="error" title={problem} />}
      {id === null ? (
        start.loading ? <Spin /> : <RecordForm app={app} form={form} record={null} start={start.values} onSaved={saved} />
      ) : !row ? (
        !problem && <Spin />
      ) : (
        <>
          {laidOut && <Figures page={laidOut} />}
          <Tabs items={[
            { key: 'form', label: t('record.details'), children: <RecordForm app={app} form={form} record={row} onSaved={saved} /> },
            ...(laidOut?.sections ?? []).map((section) => ({
              key: `section-${section.key}`,
              label: <span>{label(section.label, language)} <Badge count={section.total} size="small" color="#595959" showZero /></span>,
              children: <SectionView app={app} section={section} parent={{ form: form.key, id: row.id }} />,
            })),
            { key: 'timeline', label: t('timeline.title'), children: <Timeline app={app} form={form.key} id={row.id} /> },
          ]} />
        </>
      )}
    </section>
  );
}

/// What a record is called: its title field's value; a form without one names the record
/// by its form's label, the record its first relation names and its first date or instant
/// (a follow-up: 跟进记录 · 陈静 · 2026/11/20 15:00), never by its id alone.
export function titleOf(form: WorkspaceForm, row: Row, shown: ShownIn): string {
  const titled = form.title_field ? form.fields.find((f) => f.key === form.title_field) : undefined;
  if (titled && row[titled.key] !== null && row[titled.key] !== undefined) return valueText(titled, row[titled.key], shown);
  const filled = form.fields.filter((f) => row[f.key] !== null && row[f.key] !== undefined && row[f.key] !== '');
  const related = filled.find((f) => f.type === 'relation');
  const when = filled.find((f) => f.type === 'datetime' || f.type === 'date');
  const values = [
    related ? lookupText(related, row._lookup?.[related.key], shown, true) : '',
    when ? valueText(when, row[when.key], shown) : '',
  ].filter(Boolean);
  return [label(form.label, shown.language), ...values].join(' · ');
}
