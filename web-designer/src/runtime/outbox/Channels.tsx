import { useContext, useState } from 'react';
import { Alert, Button, Card, Descriptions, Input, Space, Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, type Problem } from '../../api/client';
import type { Key } from '../../api/queries';
import { LanguageContext, useNamed, useT, joinIn } from '../../i18n';
import { refusalText } from '../../ui/problems';
import { ChannelEditor } from './ChannelEditor';
import { follow, paths, useNavigate, type Params } from '../../ui/router';

/// The channels a gateway serves, in the order they are shown.
const CHANNELS = ['email', 'sms', 'im', 'webhook'] as const;

/// A channel as the server shows it: its settings, and which secrets are set (never their values).
interface Channel {
  channel: string;
  kind: string;
  [setting: string]: unknown;
  secrets: { password: boolean; access_key_secret: boolean; headers: string[]; robots: string[]; signing: number };
}

/// The settings worth reading, each as a label key and its text.
function settings(c: Channel): [string, string][] {
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const quiet = c['quiet_hours'] as { from: string; to: string; zone?: string } | undefined;
  const shown: [string, string][] = [
    ['host', c['host'] ? `${text(c['host'])}:${text(c['port'])} (${text(c['security'])})` : ''],
    ['from', text(c['from'])],
    ['url', text(c['url']) || text(c['endpoint'])],
    ['sign_name', text(c['sign_name'])],
    ['template', text(c['template_code']) || text(c['template_id'])],
    ['quiet_hours', quiet ? `${quiet.from}–${quiet.to}${quiet.zone ? ` (${quiet.zone})` : ''}` : ''],
    ['per_minute', text(c['per_minute'])],
  ];
  return shown.filter(([, v]) => v !== '');
}

/// The channels of `/apps/:app/channels`, for administrators: the gateway each of the app's
/// channels leaves through, its settings and which secrets are set, and a test message sent
/// now through it, with what the gateway said.
export default function Channels({ params: { app = '' } }: { params: Params }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const go = useNavigate();
  const channels = useQuery({
    queryKey: ['/api/v1/apps/{app}/channels', { app }] as Key,
    queryFn: async () => {
      const { data, error, response } = await api.GET('/api/v1/apps/{app}/channels', { params: { path: { app } } });
      if (!data) throw Object.assign(new Error('refused'), { problem: error, status: response.status });
      return (data as { items: Channel[] }).items;
    },
  });
  return (
    <section aria-labelledby="channels-title">
      <Typography.Title level={1} className="page-title" id="channels-title">{t('channels.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('channels.intro')}</Typography.Paragraph>
      <p><a {...follow(go, paths.outbox(app))}>{t('channels.toOutbox')}</a></p>
      {channels.isError && <Alert role="alert" type="error" title={refusalText((channels.error as { problem?: Problem }).problem, language)} />}
      <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
        {channels.data && CHANNELS.map((name) => (
          <ChannelCard key={name} app={app} name={name} channel={channels.data.find((c) => c.channel === name)} />
        ))}
      </Space>
    </section>
  );
}

function ChannelCard({ app, name, channel }: { app: string; name: string; channel: Channel | undefined }) {
  const t = useT();
  const named = useNamed();
  const language = useContext(LanguageContext);
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  // What the last test came to, kept as facts and put in words when shown (so a language
  // switched meanwhile shows it in the new one): taken, refused with the gateway's words, or
  // the server's refusal.
  const [outcome, setOutcome] = useState<{ ok: true } | { ok: false; error: string } | { ok: false; problem: string } | null>(null);
  const [sending, setSending] = useState(false);
  const [editing, setEditing] = useState(false);
  const title = named('channel', name);
  const heading = <Typography.Title level={2} className="card-title">{title}</Typography.Title>;
  const editButton = !editing && <Button onClick={() => setEditing(true)}>{t(channel ? 'channels.edit' : 'channels.setUp')}</Button>;

  async function send() {
    setSending(true);
    setOutcome(null);
    const { data, error, response } = await api.POST('/api/v1/apps/{app}/channels/{channel}/test', {
      params: { path: { app, channel: name } },
      body: { to, message: text },
    });
    setSending(false);
    if (!response.ok || !data) {
      setOutcome({ ok: false, problem: refusalText(error as Problem | undefined, language, response.statusText) });
      return;
    }
    const answer = data as { delivered: boolean; error?: string };
    setOutcome(answer.delivered ? { ok: true } : { ok: false, error: answer.error ?? '' });
  }

  if (editing) {
    return (
      <Card title={heading} size="small">
        <ChannelEditor app={app} name={name} shown={channel} onDone={() => setEditing(false)} />
      </Card>
    );
  }
  if (!channel) {
    return (
      <Card title={heading} size="small" extra={editButton}>
        <Typography.Text type="secondary">{t('channels.none')}</Typography.Text>
      </Card>
    );
  }
  const secrets = channel.secrets;
  const set = [
    secrets.password && t('channels.secret.password'),
    secrets.access_key_secret && t('channels.secret.access_key_secret'),
    secrets.headers.length > 0 && t('channels.secret.headers', { names: joinIn(language, secrets.headers) }),
    secrets.robots.length > 0 && t('channels.secret.robots', { names: joinIn(language, secrets.robots) }),
    secrets.signing > 0 && t('channels.secret.signing', { count: secrets.signing }),
  ].filter(Boolean) as string[];
  return (
    <Card title={heading} size="small" extra={<Space><Tag>{named('channels.kind', channel.kind)}</Tag>{editButton}</Space>}>
      <Descriptions size="small" column={1}
        items={[
          ...settings(channel).map(([key, value]) => ({ key, label: named('channels.setting', key), children: value })),
          { key: 'secrets', label: t('channels.secrets'), children: set.length ? joinIn(language, set, 'sentences') : t('channels.noSecrets') },
        ]} />
      <Space wrap align="end" style={{ marginTop: 12 }}>
        <label>
          <span className="field-label">{named('channels.to', name)}</span>
          <Input value={to} onChange={(e) => setTo(e.target.value)} aria-label={`${title} · ${named('channels.to', name)}`} style={{ minWidth: 240 }} />
        </label>
        <label>
          <span className="field-label">{t('channels.message')}</span>
          <Input value={text} onChange={(e) => setText(e.target.value)} aria-label={`${title} · ${t('channels.message')}`} style={{ minWidth: 280 }} />
        </label>
        <Button onClick={() => void send()} loading={sending} disabled={!to.trim() || !text.trim()}>
          {t('channels.send')}
        </Button>
      </Space>
      {outcome && (
        <Alert role={outcome.ok ? 'status' : 'alert'} type={outcome.ok ? 'success' : 'error'} style={{ marginTop: 12 }}
          title={outcome.ok ? t('channels.taken') : 'error' in outcome ? t('channels.refused', { error: outcome.error }) : outcome.problem} />
      )}
    </Card>
  );
}
