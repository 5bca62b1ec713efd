// An app file from another Trellis brought in: a new app is created from it; for one that
// exists here, what would change against its drafts is shown first, then its drafts become
// the file's (publishing follows, with its dry run).
import { useContext, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, Modal, Typography } from 'antd';
import { api, type Problem } from '../api/client';
import { invalidate } from '../api/queries';
import { LanguageContext, joinIn, type Language } from '../i18n';
import type { Change, Finding, Json } from './api';
import { useD } from './i18n';
import { changeText } from './PublishDialog';

interface Weighed { bundle: Json; key: string; exists: boolean; changes: Change[]; findings: Finding[] }

const said = (p: Partial<Problem> | undefined, language: Language) =>
  joinIn(language, (p?.errors ?? []).map((e) => `${e.path} ${e.message}`), 'sentences') || p?.detail || '';

export function ImportApp({ onClose, onDone }: { onClose: () => void; onDone: (app: string) => void }) {
  const d = useD();
  const language = useContext(LanguageContext);
  const client = useQueryClient();
  const [weighed, setWeighed] = useState<Weighed | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function read(file: File) {
    setProblem(null);
    let bundle: Json;
    try {
      bundle = JSON.parse(await file.text()) as Json;
    } catch {
      return setProblem(d('import.notJson'));
    }
    const key = typeof bundle.key === 'string' ? bundle.key : '';
    const here = await api.GET('/api/v1/apps/{app}', { params: { path: { app: key } } });
    if (!here.data) return setWeighed({ bundle, key, exists: false, changes: [], findings: [] });
    const dry = await api.POST('/api/v1/apps/{app}/import', { params: { path: { app: key }, query: { dry_run: true } }, body: bundle as never });
    if (!dry.data) return setProblem(said(dry.error as Partial<Problem>, language));
    const data = dry.data as { changes: Change[]; findings: Finding[] };
    setWeighed({ bundle, key, exists: true, changes: data.changes, findings: data.findings });
  }

  async function bring() {
    if (!weighed) return;
    setBusy(true);
    const answer = weighed.exists
      ? await api.POST('/api/v1/apps/{app}/import', { params: { path: { app: weighed.key } }, body: weighed.bundle as never })
      : await api.POST('/api/v1/apps', { body: weighed.bundle as never });
    setBusy(false);
    if (answer.error) return setProblem(said(answer.error as Partial<Problem>, language));
    void invalidate(client, ['/api/v1/apps']);
    onDone(weighed.key);
  }

  return (
    <Modal open width={720} title={d('import.title')} onCancel={onClose} onOk={() => void bring()} confirmLoading={busy}
      okButtonProps={{ disabled: !weighed }} okText={weighed?.exists ? d('import.replace') : d('import.create')} cancelText={d('action.cancel')}>
      <label className="stacked">
        {d('import.file')}
        <input type="file" accept=".json,application/json" onChange={(e) => { const f = e.target.files?.[0]; if (f) void read(f); }} />
      </label>
      {problem && <Alert role="alert" type="error" title={problem} style={{ marginTop: 8 }} />}
      {weighed && !weighed.exists && <Typography.Paragraph>{d('import.new', { app: weighed.key })}</Typography.Paragraph>}
      {weighed?.exists && (
        <>
          <Typography.Paragraph>{d('import.changes', { app: weighed.key, count: weighed.changes.length })}</Typography.Paragraph>
          <ul className="change-list">{weighed.changes.map((c, i) => <li key={i}>{changeText(c, language)}</li>)}</ul>
          {weighed.findings.length > 0 && (
            <Alert type="warning" title={d('import.findings', { count: weighed.findings.length })}
              description={<ul>{weighed.findings.map((f, i) => <li key={i}><code>{f.path}</code> {f.message}</li>)}</ul>} />
          )}
        </>
      )}
    </Modal>
  );
}
