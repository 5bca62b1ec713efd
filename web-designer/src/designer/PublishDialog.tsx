// What publishing would do, shown before every publish (and to a checker weighing a
// request): the checks' findings, per form the columns added, retired, restored and
// converted, each conversion's records that convert (with examples) and those refused
// (with their ids and why), and the change in business words.
import { useContext } from 'react';
import { Alert, List, Modal, Spin, Table, Tag, Typography } from 'antd';
import { LanguageContext } from '../i18n';
import type { Change, DryRun } from './api';
import { useD } from './i18n';

export function changeText(c: Change, language: string): string {
  return typeof c.text === 'string' ? c.text : c.text[language] ?? c.text.en ?? '';
}

export function DryRunReport({ run }: { run: DryRun }) {
  const d = useD();
  const language = useContext(LanguageContext);
  return (
    <div className="dry-run">
      {run.publishable
        ? <Alert type="success" title={d('publish.ok', { version: run.version })} />
        : <Alert type="error" role="alert" title={d('publish.refused', { count: run.diagnostics.length })}
            description={<ul>{run.diagnostics.map((f, i) => <li key={i}><code>{f.path}</code> {f.message}</li>)}</ul>} />}
      {(run.changes ?? []).length > 0 && (
        <>
          <h3>{d('publish.changes')}</h3>
          <ul>{(run.changes ?? []).map((c, i) => <li key={i}>{changeText(c, language)}</li>)}</ul>
        </>
      )}
      <h3>{d('publish.tables')}</h3>
      {run.tables.filter((t) => t.steps.length > 0).map((t) => (
        <section key={t.form + (t.sub_table ?? '')} aria-label={t.form}>
          <Typography.Text strong>{t.form}{t.sub_table ? ` · ${t.sub_table}` : ''}</Typography.Text>
          <List size="small" dataSource={t.steps} renderItem={(s) => <List.Item>{s}</List.Item>} />
          {t.conversions.map((c) => (
            <div key={c.field} className="conversion">
              <Typography.Paragraph>
                {d(c.converts ? 'publish.converts' : 'publish.verifies', { field: c.field, fit: c.fit })}{' '}
                {c.refused > 0 && <Tag color="error">{d('publish.refusedCount', { count: c.refused })}</Tag>}
              </Typography.Paragraph>
              {c.examples.length > 0 && (
                <Table size="small" pagination={false} rowKey="id" dataSource={c.examples}
                  columns={[{ title: d('publish.record'), dataIndex: 'id' }, { title: d('publish.from'), render: (_, e) => JSON.stringify(e.from) },
                    { title: d('publish.to'), render: (_, e) => JSON.stringify(e.to) }]} />
              )}
              {c.refused_records.length > 0 && (
                <Table size="small" pagination={false} rowKey="id" dataSource={c.refused_records} aria-label={d('publish.refusedRecords')}
                  columns={[{ title: d('publish.record'), dataIndex: 'id' }, { title: d('publish.why'), dataIndex: 'why' }]} />
              )}
            </div>
          ))}
        </section>
      ))}
    </div>
  );
}

/// The dry run in a dialog, and the publish (or request) when it can go.
export function PublishDialog({ run, busy, approval, onPublish, onClose }: {
  run: DryRun | null; busy: boolean; approval: boolean; onPublish: () => void; onClose: () => void;
}) {
  const d = useD();
  return (
    <Modal open width={820} title={d('publish.title')} onCancel={onClose} onOk={onPublish} confirmLoading={busy}
      okText={approval ? d('publish.request') : d('publish.go')} okButtonProps={{ disabled: !run?.publishable }} cancelText={d('action.cancel')}>
      {run ? <DryRunReport run={run} /> : <Spin />}
    </Modal>
  );
}
