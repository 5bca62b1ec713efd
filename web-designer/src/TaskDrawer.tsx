import { useContext, useEffect, useState } from 'react';
import { Alert, Button, Drawer, Form, Input, Radio, Select, Switch, Typography } from 'antd';
import { api, type Problem, type Task, type Workspace } from './api/client';
import { LanguageContext, label, useT } from './i18n';

interface TaskField {
  key: string;
  type: string;
  label: Record<string, string>;
  required?: boolean;
  form?: string;
}

interface TaskDetail {
  title: string;
  outcomes: string[];
  form: { fields: TaskField[] };
}

/// A relation's picker: the first 100 of the related form's records by their title,
/// filtered as typed (a server-side search comes with the list's search box). It takes the
/// id its form item gives, so its label names it.
function RelationPicker({ app, form, title, id, value, onChange }: {
  app: string; form: string; title: string; id?: string; value?: number; onChange?: (v: number) => void;
}) {
  const [options, setOptions] = useState<{ value: number; label: string }[]>([]);
  useEffect(() => {
    void api
      .GET('/api/v1/apps/{app}/forms/{form}/records', { params: { path: { app, form }, query: { limit: 100, fields: title } } })
      .then(({ data }) => {
        const items = ((data as unknown as { items?: Record<string, unknown>[] })?.items ?? []);
        setOptions(items.map((r) => ({ value: Number(r.id), label: String(r[title] ?? r.id) })));
      });
  }, [app, form, title]);
  return (
    <Select
      showSearch
      optionFilterProp="label"
      options={options}
      allowClear
      {...(id ? { id } : {})}
      {...(value !== undefined ? { value } : {})}
      {...(onChange ? { onChange } : {})}
    />
  );
}

/// A task opened from the inbox: its form, rendered from the task's own field list, and its
/// outcomes; completing it shows every refusal at its field and keeps what was typed.
export function TaskDrawer({ task, workspace, onClose, onDone }: {
  task: Task; workspace: Workspace; onClose: () => void; onDone: () => void;
}) {
  const t = useT();
  const language = useContext(LanguageContext);
  const [detail, setDetail] = useState<TaskDetail | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm();
  const app = workspace.apps.find((a) => a.key === task.app);

  useEffect(() => {
    void api.GET('/api/v1/tasks/{id}', { params: { path: { id: task.id } } }).then(({ data }) => {
      setDetail(data as unknown as TaskDetail);
    });
  }, [task.id]);

  async function complete(values: Record<string, unknown>) {
    setBusy(true);
    setProblem(null);
    const { outcome, ...rest } = values;
    const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== null && v !== ''));
    const body = { values: given, ...(outcome ? { outcome } : {}) };
    const { response, error } = await api.POST('/api/v1/tasks/{id}/complete', {
      params: { path: { id: task.id } },
      body: body as never,
    });
    setBusy(false);
    if (response.ok) {
      onDone();
      return;
    }
    const refusal = error as Problem | undefined;
    // Each refusal at its field (`/values/notes`, `/outcome`); the rest above the form.
    const labelOf = (key: string) => label(detail?.form.fields.find((f) => f.key === key)?.label, language) || key;
    const at = (refusal?.errors ?? []).map((e) => {
      const name = e.path.replace(/^\/values\//, '').replace(/^\//, '');
      // A missing value is said in the reader's language, naming the field by its label.
      const message = e.code === 'required' ? t('form.required', { field: labelOf(name) }) : e.message;
      return { name, errors: [message] };
    });
    form.setFields(at);
    if (at.length === 0) setProblem(t('error.generic', { detail: refusal?.detail ?? response.statusText }));
  }

  return (
    <Drawer open title={task.title} onClose={onClose} size="large" aria-label={task.title}>
      {problem && <Alert role="alert" type="error" title={problem} style={{ marginBottom: 16 }} />}
      {!detail ? null : (
        <Form form={form} layout="vertical" onFinish={complete}>
          {detail.form.fields.map((f) => {
            const name = label(f.label, language);
            const target = f.form ? app?.forms.find((x) => x.key === f.form) : undefined;
            const input =
              f.type === 'long_text' ? <Input.TextArea rows={4} />
              : f.type === 'boolean' ? <Switch />
              : f.type === 'relation' && app && f.form ? (
                <RelationPicker app={app.key} form={f.form} title={target?.title_field ?? 'id'} />
              )
              : <Input />;
            return (
              <Form.Item key={f.key} name={f.key} label={name} required={f.required ?? false}
                valuePropName={f.type === 'boolean' ? 'checked' : 'value'}>
                {input}
              </Form.Item>
            );
          })}
          {detail.outcomes.length > 0 && (
            <Form.Item name="outcome" label={t('task.outcome')}>
              <Radio.Group options={detail.outcomes.map((o) => ({ label: o, value: o }))} />
            </Form.Item>
          )}
          <Typography.Paragraph type="secondary">{t('task.completeHint')}</Typography.Paragraph>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('task.complete')}
          </Button>
        </Form>
      )}
    </Drawer>
  );
}
