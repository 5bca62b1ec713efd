import { useContext, useEffect, useState } from 'react';
import { Alert, Button, Space, Table, Tag, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, uploadImport, type ImportJob, type MappingSpec, type Problem, type ProblemItem, type Uploaded, type WorkspaceForm } from '../../api/client';
import { recordWritten, type Key } from '../../api/queries';
import { LanguageContext, label, useT } from '../../i18n';
import { useForm, WorkspaceContext, ZoneContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';
import { refusalText } from '../../ui/problems';
import { follow, paths, useNavigate, type Params } from '../../ui/router';
import NotFound from '../NotFound';
import { MappingEditor } from './Mapping';
import { Outcome } from './Outcome';

const ACCEPT = '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/// The import screen of `/apps/:app/forms/:form/import`, for those who may create or update
/// the form's records.
export default function ImportScreen({ params: { app = '', form = '' } }: { params: Params }) {
  const found = useForm(app, form);
  const may = found && (found.operations.includes('create') || found.operations.includes('update'));
  return may ? <Importer app={app} form={found} /> : <NotFound />;
}

/// A file imported into a form: uploaded (its progress shown), its columns matched to the
/// form's fields (as suggested by their names, or as an earlier import did), tried in a dry
/// run, imported as a job whose progress is followed and which can be cancelled, and its
/// refused rows shown and downloaded as an error file to fix and import again.
function Importer({ app, form }: { app: string; form: WorkspaceForm }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const appZone = useContext(WorkspaceContext)?.apps.find((a) => a.key === app)?.time_zone ?? 'UTC';
  const go = useNavigate();
  const client = useQueryClient();
  const [uploaded, setUploaded] = useState<Uploaded | null>(null);
  const [mapping, setMapping] = useState<MappingSpec | null>(null);
  const [percent, setPercent] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [problems, setProblems] = useState<ProblemItem[]>([]);
  const [editing, setEditing] = useState(true);
  const [busy, setBusy] = useState(false);
  const id = uploaded?.import.id ?? null;
  const earlierKey: Key = ['/api/v1/apps/{app}/imports', { app, form: form.key }];
  const earlier = useQuery({
    queryKey: earlierKey,
    queryFn: async () => {
      const { data } = await api.GET('/api/v1/apps/{app}/imports', { params: { path: { app }, query: { form: form.key } } });
      return ((data as { items?: ImportJob[] } | undefined)?.items ?? []);
    },
  });
  const job = useQuery({
    queryKey: ['/api/v1/apps/{app}/imports/{id}', { app, id }] as Key,
    enabled: id !== null && !editing,
    staleTime: 0,
    queryFn: async () => {
      const { data, error, response } = await api.GET('/api/v1/apps/{app}/imports/{id}', { params: { path: { app, id: id ?? 0 } } });
      if (!data) throw Object.assign(new Error('refused'), { problem: error, status: response.status });
      return data as ImportJob;
    },
  });
  // A running import is read again each second until it ends; then the recent imports and
  // (unless it was a dry run) the records it wrote are read anew.
  const { refetch } = job;
  const running = job.data?.state === 'running' && !editing;
  const wrote = !job.data?.dry_run;
  useEffect(() => {
    if (!running) return undefined;
    const timer = window.setInterval(() => void refetch(), 1000);
    return () => {
      window.clearInterval(timer);
      void client.invalidateQueries({ queryKey: earlierKey, exact: true });
      if (wrote) void recordWritten(client, app);
    };
  }, [running, refetch, wrote, client, app]);

  async function choose(file: File | undefined) {
    if (!file) return;
    setProblem(null);
    setPercent(0);
    const { data, error, response } = await uploadImport(app, form.key, file, setPercent);
    setPercent(null);
    if (!data) {
      setProblem(refusalText(error as Problem | undefined, language, response.statusText));
      return;
    }
    const got = data as Uploaded;
    // Every column named, so that what is shown is what the server imports.
    const columns = Object.fromEntries(got.import.header.map((h) => [h, got.suggested.columns?.[h] ?? '']));
    setUploaded(got);
    setMapping({ ...got.suggested, columns });
    setProblems([]);
    setEditing(true);
  }

  async function run(dryRun: boolean) {
    if (!id || !mapping) return;
    setBusy(true);
    setProblem(null);
    const { data, error, response } = await api.POST('/api/v1/apps/{app}/imports/{id}/run', {
      params: { path: { app, id } }, body: { mapping, dry_run: dryRun },
    });
    setBusy(false);
    if (!data) {
      const refusal = error as Problem | undefined;
      setProblems(refusal?.errors ?? []);
      if (!refusal?.errors?.length) setProblem(refusalText(refusal, language, response.statusText));
      setEditing(true);
      return;
    }
    setProblems([]);
    client.setQueryData(['/api/v1/apps/{app}/imports/{id}', { app, id }], data);
    setEditing(false);
    void client.invalidateQueries({ queryKey: earlierKey, exact: true });
  }

  async function cancel() {
    if (!id) return;
    const { error, response } = await api.POST('/api/v1/apps/{app}/imports/{id}/cancel', { params: { path: { app, id } } });
    if (error) setProblem(refusalText(error as Problem | undefined, language, response.statusText));
    await job.refetch();
  }

  const current = job.data;
  const ended = current && current.state !== 'running';
  return (
    <section aria-labelledby="import-title" className="import-screen">
      <Typography.Title level={1} className="page-title" id="import-title">{t('import.title', { form: label(form.label, language) })}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('import.intro')}</Typography.Paragraph>
      <p><a {...follow(go, paths.list(app, form.key))}>{t('import.toList')}</a></p>
      {problem && <Alert type="error" role="alert" title={problem} closable={{ onClose: () => setProblem(null) }} />}
      {!uploaded ? (
        <p className="import-file">
          <label>
            <span>{t('import.file')}</span>{' '}
            <input type="file" accept={ACCEPT} disabled={percent !== null} onChange={(e) => void choose(e.target.files?.[0])} />
          </label>
          {percent !== null && <span role="status"> {t('import.uploading', { percent })}</span>}
        </p>
      ) : (
        <Space wrap className="import-file">
          <Typography.Text strong>
            {uploaded.import.total_rows != null ? t('import.fileRows', { file: uploaded.import.file_name, rows: uploaded.import.total_rows }) : uploaded.import.file_name}
          </Typography.Text>
          {(editing || ended) && <Button onClick={() => { setUploaded(null); setMapping(null); }}>{t('import.again')}</Button>}
        </Space>
      )}
      {uploaded && mapping && editing && (
        <>
          <MappingEditor app={app} form={form} header={uploaded.import.header} sample={uploaded.sample[0] ?? []} mapping={mapping}
            earlier={earlier.data ?? []} appZone={appZone} problems={problems} onChange={setMapping} />
          <Space className="import-actions">
            <Button onClick={() => void run(true)} loading={busy} disabled={!mapping.key}>{t('import.dryRun')}</Button>
            <Button type="primary" onClick={() => void run(false)} loading={busy} disabled={!mapping.key}>{t('import.run')}</Button>
          </Space>
        </>
      )}
      {uploaded && !editing && current && (
        <>
          <Outcome app={app} form={form} job={current} onCancel={() => void cancel()} />
          {ended && (
            <Space className="import-actions">
              <Button onClick={() => setEditing(true)}>{t('import.edit')}</Button>
              {(current.dry_run || current.state !== 'done') && (
                <Button type="primary" onClick={() => void run(false)} loading={busy}>{t('import.run')}</Button>
              )}
            </Space>
          )}
        </>
      )}
      {(earlier.data?.length ?? 0) > 0 && (
        <Table size="small" className="import-earlier" rowKey="id" pagination={false} title={() => t('import.earlier')} dataSource={earlier.data}
          columns={[
            { title: t('import.fileName'), dataIndex: 'file_name', key: 'file' },
            { title: t('import.startedAt'), dataIndex: 'started_at', key: 'at', render: (v: string) => formatInstant(v, language, zone, { sayZone: false }) },
            {
              title: t('import.stateTitle'), key: 'state', render: (_: unknown, j: ImportJob) => (
                <Space size={4} wrap>
                  <Tag>{t(`import.state.${j.state}` as 'import.state.done')}</Tag>
                  {j.dry_run && <Tag>{t('import.dry')}</Tag>}
                </Space>
              ),
            },
            ...(['created', 'updated', 'unchanged', 'refused'] as const).map((k) => ({
              title: t(`import.${k}`), key: k, render: (_: unknown, j: ImportJob) => j.counts[k],
            })),
          ]} />
      )}
    </section>
  );
}
