// Publishing from any designer: the drafts saved first, the dry run shown, then published,
// or (maker-checker on) a request filed for a second designer. A refusal is shown in the
// dialog; nothing of the designer's state is touched by it.
import { useState, type ReactNode } from 'react';
import { Alert } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { invalidate } from '../api/queries';
import { designQueries, dryRun, publish, type DryRun } from './api';
import { useD } from './i18n';
import { PublishDialog } from './PublishDialog';
import { useJoin } from '../i18n';

export function usePublishing(app: string, before: () => Promise<boolean>): { open: () => Promise<void>; dialog: ReactNode } {
  const d = useD();
  const join = useJoin();
  const client = useQueryClient();
  const [shown, setShown] = useState(false);
  const [run, setRun] = useState<DryRun | null>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState<{ type: 'success' | 'error' | 'info'; text: string } | null>(null);
  async function open() {
    if (!(await before())) return;
    setSaid(null);
    setRun(null);
    setShown(true);
    const answer = await dryRun(app);
    if (answer.data) setRun(answer.data);
    else setSaid({ type: 'error', text: answer.problem?.detail ?? d('designer.failed') });
  }
  async function go() {
    setBusy(true);
    const answer = await publish(app);
    setBusy(false);
    if (answer.status === 200) {
      setShown(false);
      setSaid({ type: 'success', text: d('publish.done', { version: String((answer.data as { version?: number } | undefined)?.version ?? '') }) });
    } else if (answer.status === 202) {
      setShown(false);
      setSaid({ type: 'info', text: d('publish.requested') });
    } else {
      setSaid({ type: 'error', text: join((answer.problem?.errors ?? []).map((e) => e.message), 'sentences') || answer.problem?.detail || d('designer.failed') });
    }
    void invalidate(client, ['/api/v1/apps', '/api/v1/workspace']);
  }
  // With maker-checker on, publishing files a request.
  const approval = useQuery(designQueries.app(app)).data?.publish_approval ?? false;
  const dialog = (
    <>
      {said && <Alert className="designer-notice" role={said.type === 'error' ? 'alert' : 'status'} type={said.type} title={said.text} closable onClose={() => setSaid(null)} />}
      {shown && <PublishDialog run={run} busy={busy} approval={approval} onPublish={() => void go()} onClose={() => setShown(false)} />}
    </>
  );
  return { open, dialog };
}
