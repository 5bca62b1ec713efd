import { useContext, useState } from 'react';
import { Alert, Button, Checkbox, Form, Input, InputNumber, Popconfirm, Select, Space, Switch } from 'antd';
import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { api, type Problem } from '../../api/client';
import { LanguageContext, useNamed, useT } from '../../i18n';
import { refusalText } from '../../ui/problems';

/// The gateways each channel may leave through.
export const KINDS: Record<string, string[]> = {
  email: ['smtp'],
  sms: ['sms_http', 'sms_aliyun', 'sms_tencent'],
  im: ['wecom_robot', 'dingtalk_robot'],
  webhook: ['webhook'],
};

/// The plain settings of each gateway, in the order they are asked, and which may be left
/// empty.
const FIELDS: Record<string, [string, 'text' | 'number' | 'json' | 'security', boolean][]> = {
  smtp: [['host', 'text', false], ['port', 'number', false], ['security', 'security', false], ['username', 'text', true], ['from', 'text', false]],
  sms_http: [['url', 'text', false], ['body', 'json', false]],
  sms_aliyun: [['access_key_id', 'text', false], ['sign_name', 'text', false], ['template_code', 'text', false], ['param', 'text', true], ['endpoint', 'text', true]],
  sms_tencent: [['secret_id', 'text', false], ['sdk_app_id', 'text', false], ['sign_name', 'text', false], ['template_id', 'text', false], ['region', 'text', true], ['endpoint', 'text', true]],
  wecom_robot: [],
  dingtalk_robot: [],
  webhook: [],
};

/// The secrets each gateway keeps.
const SECRETS: Record<string, ('password' | 'access_key_secret' | 'headers' | 'robots' | 'signing')[]> = {
  smtp: ['password'], sms_http: ['headers'], sms_aliyun: ['access_key_secret'], sms_tencent: ['access_key_secret'],
  wecom_robot: ['robots'], dingtalk_robot: ['robots'], webhook: ['signing'],
};

type Values = Record<string, unknown> & {
  kind: string; replace?: boolean; body?: string; success?: { pointer?: string; equals?: string };
  quiet_hours?: { from?: string; to?: string; zone?: string }; per_minute?: number | null;
  headers?: { name: string; value: string }[]; robots?: { group: string; url: string; secret?: string }[]; signing?: string[];
};

/// The form's values for a channel as the server shows it (secrets by name only: replacing
/// them means giving each anew).
function initial(name: string, shown: Record<string, unknown> | undefined): Values {
  const kind = (shown?.['kind'] as string | undefined) ?? KINDS[name]?.[0] ?? '';
  const secrets = shown?.['secrets'] as { headers?: string[]; robots?: string[]; signing?: number } | undefined;
  return {
    ...shown,
    kind,
    body: shown?.['body'] === undefined ? '{"mobile": "{to}", "text": "{text}"}' : JSON.stringify(shown['body'], null, 2),
    replace: !shown,
    headers: (secrets?.headers ?? []).map((n) => ({ name: n, value: '' })),
    robots: (secrets?.robots ?? []).map((g) => ({ group: g, url: '' })),
    signing: Array.from({ length: secrets?.signing || 1 }, () => ''),
  };
}

/// The request body for `values`: the chosen gateway's settings, and its secrets only when
/// they are to be replaced (left out, those stored stay).
function body(values: Values): { sent: Record<string, unknown> } | { bad: string } {
  const kind = values.kind;
  const sent: Record<string, unknown> = { kind };
  for (const [key, type, optional] of FIELDS[kind] ?? []) {
    const value = values[key];
    if (optional && (value === undefined || value === null || value === '')) continue;
    if (type === 'json') {
      try {
        sent[key] = JSON.parse(String(value ?? ''));
      } catch {
        return { bad: key };
      }
    } else {
      sent[key] = value;
    }
  }
  if (kind === 'sms_http' && values.success?.pointer) sent['success'] = values.success;
  if (kind === 'wecom_robot' || kind === 'dingtalk_robot') sent['markdown'] = Boolean(values['markdown']);
  const quiet = values.quiet_hours;
  if (quiet?.from || quiet?.to) sent['quiet_hours'] = { from: quiet.from ?? '', to: quiet.to ?? '', ...(quiet.zone ? { zone: quiet.zone } : {}) };
  if (values.per_minute) sent['per_minute'] = values.per_minute;
  if (values.replace) {
    const secrets: Record<string, unknown> = {};
    for (const s of SECRETS[kind] ?? []) {
      if (s === 'headers') secrets[s] = Object.fromEntries((values.headers ?? []).map((h) => [h.name, h.value]));
      else if (s === 'robots') secrets[s] = Object.fromEntries((values.robots ?? []).map((r) => [r.group, kind === 'dingtalk_robot' ? { url: r.url, secret: r.secret ?? '' } : { url: r.url }]));
      else if (s === 'signing') secrets[s] = (values.signing ?? []).filter((v) => v !== '');
      else if (values[s]) secrets[s] = values[s];
    }
    sent['secrets'] = secrets;
  }
  return { sent };
}

/// Where a problem's path (`/quiet_hours/from`, `/secrets/robots/east/secret`) is in the form.
function nameOf(path: string, values: Values): (string | number)[] | null {
  const parts = path.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (parts[0] !== 'secrets') return parts.length ? parts : null;
  const [, kind, key, field] = parts;
  if (kind === 'robots') {
    const at = (values.robots ?? []).findIndex((r) => r.group === key);
    return at < 0 ? null : ['robots', at, field ?? 'url'];
  }
  if (kind === 'headers') {
    const at = (values.headers ?? []).findIndex((h) => h.name === key);
    return at < 0 ? null : ['headers', at, 'value'];
  }
  if (kind === 'signing') return ['signing', Number(key ?? 0)];
  return kind ? [kind] : null;
}

/// The fields a change of values touched, by their names (`['quiet_hours', 'from']`).
function namesIn(changed: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (changed === null || typeof changed !== 'object') return [at];
  return Object.entries(changed as Record<string, unknown>).flatMap(([key, value]) =>
    namesIn(value, [...at, Array.isArray(changed) ? Number(key) : key]));
}

/// An administrator's form for the gateway of one channel: its kind, its settings, quiet
/// hours and a rate, and its secrets (given anew or kept); every wrong setting the server
/// finds is shown at its field, and nothing typed is lost. Or the gateway removed.
export function ChannelEditor({ app, name, shown, onDone }: {
  app: string; name: string; shown: Record<string, unknown> | undefined; onDone: () => void;
}) {
  const t = useT();
  const named = useNamed();
  const language = useContext(LanguageContext);
  const client = useQueryClient();
  const [form] = Form.useForm<Values>();
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [start] = useState(() => initial(name, shown));
  const kind = Form.useWatch('kind', form) ?? start.kind;
  const replace = Form.useWatch('replace', form) ?? !shown;
  const label = (key: string) => t(`channels.field.${key}` as 'channels.field.host');
  const id = (key: string) => `${name}-${key}`;

  async function save(values: Values) {
    setProblem(null);
    // A new channel's secrets are given (its form has no box to keep them).
    const built = body({ ...values, replace: values.replace ?? !shown });
    if ('bad' in built) {
      form.setFields([{ name: [built.bad], errors: [t('channels.badJson')] }]);
      return;
    }
    setSaving(true);
    const { data, error, response } = await api.PUT('/api/v1/apps/{app}/channels/{channel}', {
      params: { path: { app, channel: name } }, body: built.sent as never,
    });
    setSaving(false);
    if (data) {
      await client.invalidateQueries({ queryKey: ['/api/v1/apps/{app}/channels', { app }] });
      onDone();
      return;
    }
    const refusal = error as Problem | undefined;
    const placed = (refusal?.errors ?? []).map((e) => ({ name: nameOf(e.path, values), errors: [e.message] }));
    const at = placed.filter((p): p is { name: (string | number)[]; errors: string[] } => p.name !== null && form.getFieldInstance(p.name) !== undefined);
    form.setFields(at);
    if (at.length < placed.length || placed.length === 0) setProblem(refusalText(refusal, language, response.statusText));
  }

  async function remove() {
    const { error, response } = await api.DELETE('/api/v1/apps/{app}/channels/{channel}', { params: { path: { app, channel: name } } });
    if (!response.ok) {
      setProblem(refusalText(error as Problem | undefined, language, response.statusText));
      return;
    }
    await client.invalidateQueries({ queryKey: ['/api/v1/apps/{app}/channels', { app }] });
    onDone();
  }

  const list = (field: 'headers' | 'robots', columns: [string, boolean][]) => (
    <Form.List name={field}>
      {(rows, { add, remove: drop }) => (
        <Space orientation="vertical" style={{ width: '100%' }}>
          {rows.map((row) => (
            <Space key={row.key} align="start" wrap>
              {columns.map(([column, secret]) => (
                <Form.Item key={column} name={[row.name, column]} label={label(`${field}.${column}`)} htmlFor={id(`${field}-${row.name}-${column}`)}>
                  {secret ? <Input.Password id={id(`${field}-${row.name}-${column}`)} autoComplete="off" style={{ width: 320 }} /> : <Input id={id(`${field}-${row.name}-${column}`)} style={{ width: 200 }} />}
                </Form.Item>
              ))}
              <Button type="text" icon={<MinusCircleOutlined />} aria-label={t('channels.dropRow')} onClick={() => drop(row.name)} />
            </Space>
          ))}
          <Button icon={<PlusOutlined />} onClick={() => add()}>{label(`${field}.add`)}</Button>
        </Space>
      )}
    </Form.List>
  );

  return (
    <Form form={form} layout="vertical" initialValues={start} onFinish={(v) => void save(v)} className="channel-editor"
      onValuesChange={(changed: Record<string, unknown>) => {
        // A field changed since the server found it wrong no longer says so.
        form.setFields(namesIn(changed).map((name) => ({ name, errors: [] })));
      }}>
      <Form.Item name="kind" label={label('kind')} htmlFor={id('kind')}>
        <Select id={id('kind')} style={{ maxWidth: 320 }} options={(KINDS[name] ?? []).map((k) => ({ value: k, label: named('channels.kind', k) }))} />
      </Form.Item>
      {(FIELDS[kind] ?? []).map(([key, type]) => (
        <Form.Item key={key} name={key} label={label(key)} htmlFor={id(key)}>
          {type === 'number' ? <InputNumber id={id(key)} min={1} max={65535} />
            : type === 'security' ? <Select id={id(key)} style={{ maxWidth: 320 }} options={['tls', 'starttls', 'none'].map((s) => ({ value: s, label: label(`security.${s}`) }))} />
              : type === 'json' ? <Input.TextArea id={id(key)} rows={4} spellCheck={false} style={{ fontFamily: 'monospace' }} />
                : <Input id={id(key)} style={{ maxWidth: 480 }} />}
        </Form.Item>
      ))}
      {kind === 'sms_http' && (
        <Space wrap>
          <Form.Item name={['success', 'pointer']} label={label('success.pointer')} htmlFor={id('success-pointer')}><Input id={id('success-pointer')} /></Form.Item>
          <Form.Item name={['success', 'equals']} label={label('success.equals')} htmlFor={id('success-equals')}><Input id={id('success-equals')} /></Form.Item>
        </Space>
      )}
      {(kind === 'wecom_robot' || kind === 'dingtalk_robot') && (
        <Form.Item name="markdown" label={label('markdown')} valuePropName="checked" htmlFor={id('markdown')}><Switch id={id('markdown')} /></Form.Item>
      )}
      <Space wrap>
        <Form.Item name={['quiet_hours', 'from']} label={label('quiet_hours.from')} htmlFor={id('quiet-from')}><Input id={id('quiet-from')} placeholder="21:00" style={{ width: 110 }} /></Form.Item>
        <Form.Item name={['quiet_hours', 'to']} label={label('quiet_hours.to')} htmlFor={id('quiet-to')}><Input id={id('quiet-to')} placeholder="08:00" style={{ width: 110 }} /></Form.Item>
        <Form.Item name={['quiet_hours', 'zone']} label={label('quiet_hours.zone')} htmlFor={id('quiet-zone')}><Input id={id('quiet-zone')} placeholder="Asia/Shanghai" style={{ width: 200 }} /></Form.Item>
        <Form.Item name="per_minute" label={label('per_minute')} htmlFor={id('per-minute')}><InputNumber id={id('per-minute')} min={1} /></Form.Item>
      </Space>
      {shown && <Form.Item name="replace" valuePropName="checked"><Checkbox>{t('channels.replaceSecrets')}</Checkbox></Form.Item>}
      {replace && (SECRETS[kind] ?? []).map((secret) => (
        <div key={secret} className="channel-secrets">
          {(secret === 'password' || secret === 'access_key_secret') && (
            <Form.Item name={secret} label={label(secret)} htmlFor={id(secret)}><Input.Password id={id(secret)} autoComplete="off" style={{ maxWidth: 480 }} /></Form.Item>
          )}
          {secret === 'headers' && list('headers', [['name', false], ['value', true]])}
          {secret === 'robots' && list('robots', kind === 'dingtalk_robot' ? [['group', false], ['url', true], ['secret', true]] : [['group', false], ['url', true]])}
          {secret === 'signing' && (
            <Form.List name="signing">
              {(rows) => rows.map((row) => (
                <Form.Item key={row.key} name={row.name} label={label('signing')} htmlFor={id(`signing-${row.name}`)}>
                  <Input.Password id={id(`signing-${row.name}`)} autoComplete="off" placeholder="whsec_…" style={{ maxWidth: 480 }} />
                </Form.Item>
              ))}
            </Form.List>
          )}
        </div>
      ))}
      {problem && <Alert type="error" role="alert" title={problem} style={{ marginBottom: 12 }} />}
      <Space wrap>
        <Button type="primary" htmlType="submit" disabled={saving}>{t('channels.save')}</Button>
        <Button onClick={onDone}>{t('channels.cancel')}</Button>
        {shown && (
          <Popconfirm title={t('channels.removeConfirm')} onConfirm={() => void remove()}>
            <Button danger>{t('channels.remove')}</Button>
          </Popconfirm>
        )}
      </Space>
    </Form>
  );
}
