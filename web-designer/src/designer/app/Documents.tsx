// An app's forms or roles: each opened in its designer, and a new one started (its key
// and its name; the designer saves it as a new draft).
import { useContext, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Input, Modal, Table } from 'antd';
import { LanguageContext, label } from '../../i18n';
import { follow, useNavigate } from '../../ui/router';
import { designQueries, saveDraft, type Json } from '../api';
import { useD } from '../i18n';
import { designPaths } from '../paths';

const KEY = /^[a-z][a-z0-9_]{0,31}$/;

export function Documents({ app, kind }: { app: string; kind: 'forms' | 'roles' }) {
  const d = useD();
  const language = useContext(LanguageContext);
  const go = useNavigate();
  const drafts = useQuery(designQueries.drafts(app, kind));
  const [making, setMaking] = useState(false);
  const [key, setKey] = useState('');
  const [names, setNames] = useState({ 'zh-CN': '', en: '' });
  const [problem, setProblem] = useState<string | null>(null);
  const open = (k: string) => (kind === 'forms' ? designPaths.form(app, k) : designPaths.role(app, k));
  async function make() {
    if (!KEY.test(key)) return setProblem(d('props.keyBad'));
    if (!names['zh-CN'].trim() || !names.en.trim()) return setProblem(d('apps.bothNames'));
    const name = { 'zh-CN': names['zh-CN'].trim(), en: names.en.trim() };
    const doc: Json = kind === 'forms'
      ? { key, label: name, fields: [] }
      : { key, label: name, forms: {} };
    const saved = await saveDraft(app, kind, key, doc, 0);
    if (!saved.ok) return setProblem(saved.changed ? d('documents.taken') : saved.problem?.detail ?? d('designer.failed'));
    setMaking(false);
    go(open(key));
  }
  const rows = (drafts.data?.items ?? []).map((i) => ({ key: i.key, body: i.body }));
  const noun = kind === 'forms' ? d('documents.form') : d('documents.role');
  return (
    <>
      <Button type="primary" onClick={() => { setProblem(null); setKey(''); setMaking(true); }} style={{ marginBottom: 12 }}>
        {d('documents.new', { what: noun })}
      </Button>
      <Table rowKey="key" loading={drafts.isPending} dataSource={rows} pagination={false} columns={[
        { title: d('apps.name'), render: (_, r) => <a {...follow(go, open(r.key))}>{label(r.body.label as Record<string, string>, language) || r.key}</a> },
        { title: d('apps.key'), dataIndex: 'key' },
        kind === 'forms'
          ? { title: d('documents.fields'), render: (_, r) => ((r.body.fields as unknown[] | undefined) ?? []).length }
          : { title: d('documents.forms'), render: (_, r) => Object.keys((r.body.forms as Json | undefined) ?? {}).length },
      ]} />
      <Modal open={making} title={d('documents.new', { what: noun })} onOk={() => void make()} onCancel={() => setMaking(false)}
        okText={d('apps.create')} cancelText={d('action.cancel')}>
        {problem && <Alert role="alert" type="error" title={problem} style={{ marginBottom: 8 }} />}
        <label className="stacked">{d('apps.key')}<Input value={key} onChange={(e) => setKey(e.target.value.trim())} /></label>
        <label className="stacked">{d('apps.nameZh')}<Input value={names['zh-CN']} onChange={(e) => setNames({ ...names, 'zh-CN': e.target.value })} /></label>
        <label className="stacked">{d('apps.nameEn')}<Input value={names.en} onChange={(e) => setNames({ ...names, en: e.target.value })} /></label>
      </Modal>
    </>
  );
}
