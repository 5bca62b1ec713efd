// Every label of the app in zh-CN and English, the missing ones flagged (the runtime shows
// a missing one in the language it has, saying so).
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Switch, Table, Tag, Typography } from 'antd';
import { designQueries } from '../api';
import { useD } from '../i18n';

interface Text { path: string; of: string; texts: Record<string, string>; missing: string[] }

export function Texts({ app }: { app: string }) {
  const d = useD();
  const texts = useQuery(designQueries.texts(app));
  const [onlyMissing, setOnlyMissing] = useState(false);
  const items = ((texts.data?.items ?? []) as Text[]).filter((t) => !onlyMissing || t.missing.length > 0);
  const missing = Number(texts.data?.missing ?? 0);
  return (
    <div>
      <Typography.Paragraph>
        {d('texts.missing', { count: missing })}{' '}
        <label><Switch size="small" checked={onlyMissing} onChange={setOnlyMissing} aria-label={d('texts.onlyMissing')} /> {d('texts.onlyMissing')}</label>
      </Typography.Paragraph>
      <Table rowKey="path" size="small" dataSource={items} loading={texts.isPending} pagination={{ pageSize: 50 }} columns={[
        { title: d('texts.where'), render: (_, t) => <code>{t.path}</code> },
        ...(['zh-CN', 'en'] as const).map((lang) => ({
          title: d(`lang.${lang}`),
          render: (_: unknown, t: Text) => (t.missing.includes(lang) ? <Tag color="error">{d('texts.missingOne')}</Tag> : t.texts[lang]),
        })),
      ]} />
    </div>
  );
}
