// Publishing an app: the dry run then the publish (or, with maker-checker on, a request);
// maker-checker switched by an administrator; the requests, each weighed by a second
// designer through its own dry run and the change in business words, then approved or
// rejected.
import { useContext, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Modal, Space, Switch, Table, Tag } from 'antd';
import { api, type Problem } from '../../api/client';
import { invalidate } from '../../api/queries';
import { LanguageContext, joinIn } from '../../i18n';
import { ShellContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';
import { ZoneContext } from '../../ui/contexts';
import { designQueries, dryRun, type DryRun, type Json } from '../api';
import { useD } from '../i18n';
import { DryRunReport } from '../PublishDialog';
import { usePublishing } from '../usePublishing';

export function Publishing({ app }: { app: string }) {
  const d = useD();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const me = useContext(ShellContext)?.me;
  const client = useQueryClient();
  const info = useQuery(designQueries.app(app));
  const requests = useQuery(designQueries.requests(app));
  const publishing = usePublishing(app, async () => true);
  const [weighing, setWeighing] = useState<{ id: number; run: DryRun | null } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const admin = me?.platform_role === 'administrator';
  const refresh = () => invalidate(client, ['/api/v1/apps'], { app });

  async function weigh(id: number) {
    setProblem(null);
    setWeighing({ id, run: null });
    const answer = await dryRun(app, id);
    if (answer.data) setWeighing({ id, run: answer.data });
    else setProblem(answer.problem?.detail ?? d('designer.failed'));
  }
  async function decide(how: 'approve' | 'reject') {
    if (!weighing) return;
    const path = { params: { path: { app, id: weighing.id } } };
    const answer = how === 'approve'
      ? await api.POST('/api/v1/apps/{app}/publish-requests/{id}/approve', path)
      : await api.POST('/api/v1/apps/{app}/publish-requests/{id}/reject', path);
    if (answer.error) {
      const p = answer.error as Partial<Problem>;
      return setProblem(joinIn(language, (p.errors ?? []).map((e) => e.message), 'sentences') || p.detail || d('designer.failed'));
    }
    setWeighing(null);
    void refresh();
  }
  async function approval(on: boolean) {
    await api.PUT('/api/v1/apps/{app}/settings', { params: { path: { app } }, body: { publish_approval: on } });
    void refresh();
  }
  const items = (requests.data?.items ?? []) as Json[];
  return (
    <div>
      <Space wrap style={{ marginBottom: 12 }}>
        <Button type="primary" onClick={() => void publishing.open()}>{d('designer.publish')}</Button>
        <label>
          <Space>
            <Switch checked={info.data?.publish_approval ?? false} disabled={!admin} onChange={(on) => void approval(on)} aria-label={d('publish.approval')} />
            {d('publish.approval')}
          </Space>
        </label>
      </Space>
      {publishing.dialog}
      <h2 className="section-title">{d('publish.requests')}</h2>
      <Table rowKey="id" dataSource={items} pagination={false} loading={requests.isPending} columns={[
        { title: '#', dataIndex: 'id' },
        { title: d('publish.requestedBy'), dataIndex: 'requested_by' },
        { title: d('publish.requestedAt'), render: (_, r) => formatInstant(String(r.requested_at ?? ''), language, zone) },
        { title: d('publish.state'), render: (_, r) => <Tag>{d(`publish.state.${String(r.state)}` as Parameters<typeof d>[0])}</Tag> },
        { title: d('publish.decidedBy'), render: (_, r) => String(r.decided_by ?? '') },
        { title: d('apps.actions'), render: (_, r) => r.state === 'pending' && (
          <Button onClick={() => void weigh(Number(r.id))} aria-label={d('publish.reviewN', { id: String(r.id) })}>{d('publish.review')}</Button>
        ) },
      ]} />
      {weighing && (
        <Modal open width={820} title={d('publish.reviewN', { id: String(weighing.id) })} onCancel={() => setWeighing(null)} footer={
          <Space>
            <Button onClick={() => setWeighing(null)}>{d('action.cancel')}</Button>
            <Button danger onClick={() => void decide('reject')}>{d('publish.reject')}</Button>
            <Button type="primary" disabled={!weighing.run?.publishable} onClick={() => void decide('approve')}>{d('publish.approve')}</Button>
          </Space>
        }>
          {problem && <Alert role="alert" type="error" title={problem} style={{ marginBottom: 8 }} />}
          {weighing.run && <DryRunReport run={weighing.run} />}
        </Modal>
      )}
    </div>
  );
}
