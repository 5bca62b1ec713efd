// An app's version history: who published each and who approved it, and the difference
// between any two (or a version and the drafts) in business words, fields matched by key.
import { useContext, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Empty, Select, Space, Table } from 'antd';
import { LanguageContext } from '../../i18n';
import { ZoneContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';
import { designQueries, type Json } from '../api';
import { useD } from '../i18n';
import { changeText } from '../PublishDialog';

export function Versions({ app }: { app: string }) {
  const d = useD();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const versions = useQuery(designQueries.versions(app));
  const items = (versions.data?.items ?? []) as Json[];
  const latest = items.length ? String(items[0]?.version) : '0';
  const [from, setFrom] = useState<string | null>(null);
  const [to, setTo] = useState('draft');
  const start = from ?? latest;
  const diff = useQuery({ ...designQueries.diff(app, start, to), enabled: versions.isSuccess });
  const choices = [{ value: 'draft', label: d('versions.draft') }, ...items.map((v) => ({ value: String(v.version), label: d('versions.n', { n: String(v.version) }) }))];
  return (
    <div>
      <Table rowKey="version" dataSource={items} pagination={false} loading={versions.isPending} columns={[
        { title: d('versions.version'), dataIndex: 'version' },
        { title: d('versions.publishedAt'), render: (_, v) => formatInstant(String(v.published_at ?? ''), language, zone) },
        { title: d('versions.madeBy'), dataIndex: 'made_by' },
        { title: d('versions.approvedBy'), render: (_, v) => String(v.approved_by ?? '—') },
      ]} />
      <h2 className="section-title">{d('versions.compare')}</h2>
      <Space wrap>
        <Select showSearch={{ optionFilterProp: 'label' }} aria-label={d('versions.from')} value={start} onChange={setFrom} style={{ width: 160 }} options={[{ value: '0', label: d('versions.empty') }, ...choices.filter((c) => c.value !== 'draft')]} />
        <span aria-hidden>→</span>
        <Select showSearch={{ optionFilterProp: 'label' }} aria-label={d('versions.to')} value={to} onChange={setTo} style={{ width: 160 }} options={choices} />
      </Space>
      {diff.data && diff.data.changes.length === 0 && <Empty description={d('versions.same')} />}
      <ul className="change-list" aria-label={d('versions.changes')}>
        {(diff.data?.changes ?? []).map((c, i) => <li key={i}>{changeText(c, language)}</li>)}
      </ul>
    </div>
  );
}
