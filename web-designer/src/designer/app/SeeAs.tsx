// See as: a form's records as another user would read them (their rows, their masks), the
// roles as the drafts define them, before publishing; never more than the designer reads
// themselves. One record opens with each field as they would see it.
import { useContext, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Descriptions, Drawer, Input, Select, Space, Table, Tag } from 'antd';
import { api, type FieldMeta, type Problem, type Row } from '../../api/client';
import { answered, problemOf, type Key } from '../../api/queries';
import { valueText } from '../../fields/kinds';
import { LanguageContext, label, joinIn } from '../../i18n';
import { ZoneContext } from '../../ui/contexts';
import { designQueries } from '../api';
import type { FormDoc } from '../form/model';
import { useD } from '../i18n';

interface Seen { user: string; operations: string[]; fields: Record<string, string>; items: Row[]; total?: number }

export function SeeAs({ app }: { app: string }) {
  const d = useD();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const forms = useQuery(designQueries.drafts(app, 'forms'));
  const [typed, setTyped] = useState('');
  const [asked, setAsked] = useState<{ user: string; form: string } | null>(null);
  const [form, setForm] = useState<string | null>(null);
  const [open, setOpen] = useState<Row | null>(null);
  const seen = useQuery({
    queryKey: ['/api/v1/apps/{app}/forms/{form}/seen-as/{username}', { app, ...asked }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/apps/{app}/forms/{form}/seen-as/{username}', {
      params: { path: { app, form: asked?.form ?? '', username: asked?.user ?? '' }, query: { limit: 50, count: true } },
    })) as Seen,
    enabled: asked !== null,
  });
  const doc = (forms.data?.items ?? []).map((f) => f.body as FormDoc).find((f) => f.key === asked?.form);
  const meta = (key: string): FieldMeta | undefined => {
    const f = doc?.fields.find((x) => x.key === key);
    return f ? ({ ...f, mode: seen.data?.fields[key] ?? 'visible' } as unknown as FieldMeta) : undefined;
  };
  const shownFields = (doc?.fields ?? []).filter((f) => seen.data && seen.data.fields[f.key] && seen.data.fields[f.key] !== 'hidden' && f.type !== 'sub_table');
  const problem = problemOf(seen.error) as Partial<Problem> | undefined;
  const text = (key: string, value: unknown) => valueText(meta(key), value, { language, zone });
  return (
    <div>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input aria-label={d('seeAs.user')} placeholder={d('seeAs.user')} value={typed} onChange={(e) => setTyped(e.target.value.trim())} style={{ width: 220 }} />
        <Select showSearch={{ optionFilterProp: 'label' }} aria-label={d('seeAs.form')} placeholder={d('seeAs.form')} value={form} onChange={setForm} style={{ width: 220 }}
          options={(forms.data?.items ?? []).map((f) => ({ value: f.key, label: label((f.body as FormDoc).label, language) || f.key }))} />
        <Button type="primary" disabled={!typed || !form} onClick={() => form && setAsked({ user: typed, form })}>{d('seeAs.show')}</Button>
      </Space>
      <Alert type="info" title={d('seeAs.said')} style={{ marginBottom: 12 }} />
      {problem && <Alert role="alert" type="error" title={joinIn(language, (problem.errors ?? []).map((e) => e.message), 'sentences') || problem.detail} />}
      {seen.data && (
        <>
          <p>
            {d('seeAs.operations', { user: seen.data.user })}{' '}
            {seen.data.operations.length ? seen.data.operations.map((o) => <Tag key={o}>{d(`roles.op.${o as 'read'}`)}</Tag>) : d('seeAs.none')}
            {seen.data.total !== undefined && ` ${d('seeAs.total', { count: seen.data.total })}`}
          </p>
          <Table<Row> rowKey="id" size="small" dataSource={seen.data.items} pagination={false} scroll={{ x: true }}
            aria-label={d('seeAs.records', { user: seen.data.user })}
            onRow={(r) => ({ onClick: () => setOpen(r) })}
            columns={[
              { title: '#', render: (_, r) => <Button type="link" onClick={() => setOpen(r)} aria-label={d('seeAs.openN', { id: r.id })}>{r.id}</Button> },
              ...shownFields.slice(0, 8).map((f) => ({ title: label(f.label, language) || f.key, render: (_: unknown, r: Row) => text(f.key, r[f.key]) })),
            ]} />
        </>
      )}
      <Drawer open={open !== null} onClose={() => setOpen(null)} title={d('seeAs.record', { id: open?.id ?? '', user: seen.data?.user ?? '' })} size="large">
        {open && (
          <Descriptions column={1} bordered size="small" items={shownFields.map((f) => ({
            key: f.key,
            label: <span>{label(f.label, language) || f.key} <Tag>{d(`roles.mode.${(seen.data?.fields[f.key] ?? 'visible') as 'visible'}`)}</Tag></span>,
            children: text(f.key, open[f.key]),
          }))} />
        )}
      </Drawer>
    </div>
  );
}
