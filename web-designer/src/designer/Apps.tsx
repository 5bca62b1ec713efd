// The apps a designer builds: each opened to design, exported as a file; a new one made
// from nothing (its key and name), or one imported from a file another Trellis exported
// (a bank's test and production are separate installations).
import { useContext, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Input, Modal, Space, Table, Typography } from 'antd';
import { api, type Problem } from '../api/client';
import { invalidate } from '../api/queries';
import { LanguageContext, label, joinIn } from '../i18n';
import { follow, useNavigate } from '../ui/router';
import { designQueries, type AppSummary } from './api';
import { useD } from './i18n';
import { ImportApp } from './ImportApp';
import { designPaths } from './paths';
import { saveBlob } from '../ui/download';
import { Frame } from './Frame';

const KEY = /^[a-z][a-z0-9_]{0,31}$/;

/// Saves the app's bundle as a file.
export async function exportApp(app: string) {
  const { data } = await api.GET('/api/v1/apps/{app}/bundle', { params: { path: { app } } });
  if (!data) return;
  const file = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  saveBlob(file, `${app}.trellis.json`);
}

export default function Apps() {
  const d = useD();
  const language = useContext(LanguageContext);
  const go = useNavigate();
  const client = useQueryClient();
  const apps = useQuery(designQueries.apps());
  const [making, setMaking] = useState(false);
  const [importing, setImporting] = useState(false);
  const [key, setKey] = useState('');
  const [names, setNames] = useState({ 'zh-CN': '', en: '' });
  const [problem, setProblem] = useState<string | null>(null);
  async function make() {
    if (!KEY.test(key)) return setProblem(d('props.keyBad'));
    if (!names['zh-CN'].trim() || !names.en.trim()) return setProblem(d('apps.bothNames'));
    const name = { 'zh-CN': names['zh-CN'].trim(), en: names.en.trim() };
    const answer = await api.POST('/api/v1/apps', { body: { key, name, forms: [] } as never });
    if (answer.error) {
      const p = answer.error as Partial<Problem>;
      return setProblem(joinIn(language, (p.errors ?? []).map((e) => e.message), 'sentences') || p.detail || d('designer.failed'));
    }
    void invalidate(client, ['/api/v1/apps']);
    setMaking(false);
    go(designPaths.app(key));
  }
  return (
    <Frame>
      <div>
        <Space style={{ justifyContent: 'space-between', width: '100%' }} wrap>
          <Typography.Title level={1} style={{ fontSize: 24 }}>{d('apps.title')}</Typography.Title>
          <Space>
            <Button onClick={() => setImporting(true)}>{d('apps.import')}</Button>
            <Button type="primary" onClick={() => { setProblem(null); setMaking(true); }}>{d('apps.new')}</Button>
          </Space>
        </Space>
        <Table<AppSummary> rowKey="key" loading={apps.isPending} dataSource={apps.data?.items ?? []} pagination={false}
          columns={[
            { title: d('apps.name'), render: (_, a) => <a {...follow(go, designPaths.app(a.key))}>{label(a.name, language) || a.key}</a> },
            { title: d('apps.key'), dataIndex: 'key' },
            { title: d('apps.version'), render: (_, a) => a.published_version ?? d('apps.unpublished') },
            { title: d('apps.actions'), render: (_, a) => <Button onClick={() => void exportApp(a.key)} aria-label={d('apps.exportOne', { app: label(a.name, language) || a.key })}>{d('apps.export')}</Button> },
          ]} />
        <Modal open={making} title={d('apps.new')} onOk={() => void make()} onCancel={() => setMaking(false)} okText={d('apps.create')} cancelText={d('action.cancel')}>
          {problem && <Alert role="alert" type="error" title={problem} style={{ marginBottom: 8 }} />}
          <label className="stacked">{d('apps.key')}<Input value={key} onChange={(e) => setKey(e.target.value.trim())} /></label>
          <label className="stacked">{d('apps.nameZh')}<Input value={names['zh-CN']} onChange={(e) => setNames({ ...names, 'zh-CN': e.target.value })} /></label>
          <label className="stacked">{d('apps.nameEn')}<Input value={names.en} onChange={(e) => setNames({ ...names, en: e.target.value })} /></label>
        </Modal>
        {importing && <ImportApp onClose={() => setImporting(false)} onDone={(app) => { setImporting(false); go(designPaths.app(app)); }} />}
      </div>
    </Frame>
  );
}
