import { useContext, useState } from 'react';
import { Alert, Button, Select, Space, Table, Tag, Typography } from 'antd';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Problem } from '../../api/client';
import { invalidate, type Key } from '../../api/queries';
import { LanguageContext, label, useNamed, useT } from '../../i18n';
import { useForm, useForms, ZoneContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';
import { messageText } from '../../ui/messages';
import { refusalText } from '../../ui/problems';
import { follow, paths, useNavigate, type Params } from '../../ui/router';

const STATES = ['pending', 'delivered', 'failed', 'undeliverable', 'opted_out'] as const;
const CHANNELS = ['sms', 'email', 'im', 'in_app', 'webhook'] as const;
const STATE_COLOUR: Record<string, string> = { delivered: 'success', failed: 'error', undeliverable: 'warning', pending: 'processing' };

interface Message {
  id: number;
  channel: string;
  recipient: unknown;
  body: unknown;
  state: string;
  attempts: number;
  last_error?: string | null;
  created_at?: string;
  subject?: { form: string; id: number } | null;
}

/// The outbox of `/apps/:app/outbox`, for designers and administrators: every message rules
/// and processes sent, newest first, by state and channel (and, from a record, about it),
/// each with its text in the reader's language, the record it is about, why it could not be
/// delivered, and a way to send a failed or undeliverable one again.
export default function Outbox({ params: { app = '' } }: { params: Params }) {
  const t = useT();
  const named = useNamed();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const go = useNavigate();
  const client = useQueryClient();
  const given = new URLSearchParams(window.location.search);
  const about = given.get('form') && given.get('record') ? { form: given.get('form') ?? '', record: Number(given.get('record')) } : null;
  const subjectForm = useForm(app, about?.form);
  const forms = useForms(app);
  /// A record by its form's label and id (理财持仓 #4), not an id alone.
  const recordName = (form: string, id: number) => `${label(forms.find((f) => f.key === form)?.label, language) || form} #${id}`;
  const [state, setState] = useState<string | null>(given.get('state'));
  const [channel, setChannel] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const filter = { ...(state ? { state } : {}), ...(channel ? { channel } : {}), ...(about ?? {}) };
  const messages = useInfiniteQuery({
    queryKey: ['/api/v1/apps/{app}/outbox', { app, ...filter }] as Key,
    initialPageParam: null as number | null,
    queryFn: async ({ pageParam }: { pageParam: number | null }) => {
      const query = { ...filter, ...(pageParam ? { before: pageParam } : {}) };
      const { data, error, response } = await api.GET('/api/v1/apps/{app}/outbox', { params: { path: { app }, query } });
      if (!data) throw Object.assign(new Error('refused'), { problem: error, status: response.status });
      return data as { items: Message[]; next?: number | null; withheld?: number };
    },
    getNextPageParam: (last) => last.next ?? undefined,
  });
  const rows = (messages.data?.pages ?? []).flatMap((p) => p.items);

  async function resend(id: number) {
    setProblem(null);
    const { error, response } = await api.POST('/api/v1/apps/{app}/outbox/{id}/resend', { params: { path: { app, id } } });
    if (!response.ok) setProblem(refusalText(error as Problem | undefined, language, response.statusText));
    await invalidate(client, ['/api/v1/apps/{app}/outbox'], { app });
  }

  /// Why a message is not delivered, in words: no gateway for its channel, or the error.
  const why = (m: Message) =>
    m.state === 'undeliverable' && m.last_error?.startsWith('the recipient') ? t('outbox.noAddress')
      : m.state === 'undeliverable' ? t('outbox.noGateway', { channel: named('channel', m.channel) })
      : m.state === 'opted_out' ? t('outbox.optedOut') : (m.last_error ?? '');

  return (
    <section aria-labelledby="outbox-title">
      <Typography.Title level={1} className="page-title" id="outbox-title">{t('outbox.title')}</Typography.Title>
      <p><a {...follow(go, paths.channels(app))}>{t('outbox.channels')}</a></p>
      <Space wrap className="list-tools">
        <Select aria-label={t('outbox.state')} placeholder={t('outbox.anyState')} allowClear showSearch={{ optionFilterProp: 'label' }} style={{ minWidth: 160 }} value={state}
          options={STATES.map((s) => ({ value: s, label: named('status.message', s) }))} onChange={(v: string | undefined) => setState(v ?? null)} />
        <Select aria-label={t('outbox.channel')} placeholder={t('outbox.anyChannel')} allowClear showSearch={{ optionFilterProp: 'label' }} style={{ minWidth: 160 }} value={channel}
          options={CHANNELS.map((c) => ({ value: c, label: named('channel', c) }))} onChange={(v: string | undefined) => setChannel(v ?? null)} />
        {about && (
          <Tag closable onClose={() => go(paths.outbox(app))}>
            {t('outbox.about', { record: recordName(subjectForm?.key ?? about.form, about.record) })}
          </Tag>
        )}
      </Space>
      {problem && <Alert role="alert" type="error" title={problem} style={{ marginBottom: 12 }} />}
      {messages.isError && <Alert role="alert" type="error" title={refusalText((messages.error as { problem?: Problem }).problem, language)} />}
      <Table<Message>
        rowKey="id"
        size="middle"
        pagination={false}
        loading={messages.isFetching && rows.length === 0}
        dataSource={rows}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: t('outbox.empty') }}
        columns={[
          { key: 'at', title: `${t('outbox.at')} (${zone})`, render: (_, m) => (m.created_at ? formatInstant(m.created_at, language, zone, { sayZone: false }) : '') },
          { key: 'channel', title: t('outbox.channel'), render: (_, m) => <Tag>{named('channel', m.channel)}</Tag> },
          { key: 'to', title: t('outbox.to'), render: (_, m) => (typeof m.recipient === 'string' ? m.recipient : JSON.stringify(m.recipient)) },
          { key: 'text', title: t('outbox.text'), width: 300, render: (_, m) => <span className="outbox-text">{messageText(m.body, language)}</span> },
          { key: 'state', title: t('outbox.state'), render: (_, m) => <Tag color={STATE_COLOUR[m.state] ?? 'default'}>{named('status.message', m.state)}</Tag> },
          { key: 'why', title: t('outbox.why'), render: (_, m) => why(m) },
          {
            key: 'record', title: t('outbox.record'),
            render: (_, m) => (m.subject ? <a {...follow(go, paths.record(app, m.subject.form, m.subject.id))}>{recordName(m.subject.form, m.subject.id)}</a> : ''),
          },
          {
            // Always in view, however wide the rest.
            key: 'resend', title: t('outbox.action'), fixed: 'right' as const,
            render: (_, m) => (m.state === 'failed' || m.state === 'undeliverable'
              ? <Button size="small" onClick={() => void resend(m.id)} aria-label={`${t('outbox.resend')} #${m.id}`}>{t('outbox.resend')}</Button>
              : null),
          },
        ]}
      />
      <div className="list-footer">
        <span>{t('list.shown', { count: rows.length })}</span>
        {messages.hasNextPage && <Button onClick={() => void messages.fetchNextPage()} loading={messages.isFetchingNextPage}>{t('list.more')}</Button>}
      </div>
    </section>
  );
}
