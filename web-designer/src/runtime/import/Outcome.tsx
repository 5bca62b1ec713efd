import { useContext, useState } from 'react';
import { Alert, Button, Descriptions, Progress, Space, Table, Tag } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { api, type ImportJob, type Problem, type ProblemItem, type WorkspaceForm } from '../../api/client';
import type { Key } from '../../api/queries';
import { LanguageContext, label, useT } from '../../i18n';
import { saveBlob } from '../../ui/download';
import { fieldAt, fieldProblem, refusalText } from '../../ui/problems';

const STATE_COLOUR: Record<string, string> = { done: 'success', failed: 'error', cancelled: 'warning', running: 'processing' };
/// How many refused rows the screen shows; the error file has them all.
const SHOWN = 20;

interface Refusal { row: number; cells: string[]; reasons: string; errors?: ProblemItem[] }

/// Where a run of an import stands: rows read of the file's, what was (or, in a dry run,
/// would be) created, updated, left unchanged and refused, a way to cancel it while it runs,
/// and, once it ends, the first refused rows with why (in the reader's words, each at its
/// field) and the whole error file.
export function Outcome({ app, form, job, onCancel }: { app: string; form: WorkspaceForm; job: ImportJob; onCancel: () => void }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const [problem, setProblem] = useState<string | null>(null);
  const running = job.state === 'running';
  const refusals = useQuery({
    queryKey: ['/api/v1/apps/{app}/imports/{id}/refusals', { app, id: job.id, state: job.state, refused: job.counts.refused }] as Key,
    enabled: !running && job.counts.refused > 0,
    queryFn: async () => {
      const { data, error, response } = await api.GET('/api/v1/apps/{app}/imports/{id}/refusals', {
        params: { path: { app, id: job.id }, query: { limit: SHOWN } },
      });
      if (!data) throw Object.assign(new Error('refused'), { problem: error, status: response.status });
      return (data as { items: Refusal[] }).items;
    },
  });

  async function download() {
    const { data, error, response } = await api.GET('/api/v1/apps/{app}/imports/{id}/errors', {
      params: { path: { app, id: job.id } }, parseAs: 'blob',
    });
    if (!data) {
      setProblem(refusalText(error as Problem | undefined, language, response.statusText));
      return;
    }
    saveBlob(data, `${job.file_name.replace(/\.[^.]*$/, '')}.errors.csv`);
  }

  const total = job.total_rows ?? null;
  const percent = total ? Math.min(100, Math.floor((job.rows_done / Math.max(total, 1)) * 100)) : undefined;
  const ended = {
    done: job.dry_run ? t('import.dryDone') : t('import.done'),
    cancelled: t('import.cancelled'),
    failed: t('import.failed', { why: job.failure ?? '' }),
  }[job.state as 'done' | 'cancelled' | 'failed'];
  return (
    <section aria-label={t('import.refusedRows')} className="import-outcome">
      <Space wrap>
        <Tag color={STATE_COLOUR[job.state] ?? 'default'}>{t(`import.state.${job.state}` as 'import.state.done')}</Tag>
        {job.dry_run && <Tag>{t('import.dry')}</Tag>}
        <span role="status">
          {total !== null ? t('import.progress', { done: job.rows_done, total }) : t('import.progressUnknown', { done: job.rows_done })}
        </span>
        {running && <Button danger onClick={onCancel}>{t('import.cancel')}</Button>}
      </Space>
      <Progress percent={percent ?? (running ? 0 : 100)} status={running ? 'active' : job.state === 'failed' ? 'exception' : 'normal'}
        aria-label={t('import.progressUnknown', { done: job.rows_done })} />
      <Descriptions size="small" column={4} items={(['created', 'updated', 'unchanged', 'refused'] as const).map((k) => ({
        key: k, label: t(`import.${k}`), children: String(job.counts[k]),
      }))} />
      {ended && <Alert type={job.state === 'done' ? 'success' : job.state === 'failed' ? 'error' : 'warning'} role="status" title={ended} />}
      {problem && <Alert type="error" role="alert" title={problem} />}
      {!running && job.counts.refused > 0 && (
        <>
          <Table size="small" pagination={false} rowKey="row" dataSource={refusals.data ?? []} loading={refusals.isLoading}
            title={() => t('import.refusedRows')}
            columns={[
              { title: t('import.row'), dataIndex: 'row', key: 'row', width: 90 },
              {
                title: t('import.reasons'), key: 'reasons', render: (_: unknown, r: Refusal) => (r.errors?.length ? (
                  <ul className="import-reasons">
                    {r.errors.map((e, i) => {
                      const field = fieldAt(form.fields, e.path);
                      const name = label(field?.label, language) || e.path.replace(/^\//, '');
                      const problem = fieldProblem(e, field, language);
                      return <li key={i}>{name ? t('import.problemAt', { field: name, problem }) : problem}</li>;
                    })}
                  </ul>
                ) : r.reasons),
              },
            ]} />
          {job.counts.refused > SHOWN && <p>{t('import.moreRefused')}</p>}
          <Button icon={<DownloadOutlined />} onClick={() => void download()}>{t('import.errorFile')}</Button>
        </>
      )}
    </section>
  );
}
