import { useContext, useState } from 'react';
import { Alert, Button, Drawer, Form, Radio, Select, Space, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type FieldMeta, type Problem, type Task } from '../../api/client';
import { invalidate, queries } from '../../api/queries';
import { FieldItem } from '../../fields/FieldItem';
import type { InputContext } from '../../fields/kinds';
import { apiValues, clearedErrors } from '../../fields/values';
import { LanguageContext, label, useT } from '../../i18n';
import { ShellContext, WorkspaceContext, ZoneContext } from '../../ui/contexts';
import { fieldAt, fieldProblem, refusalText } from '../../ui/problems';

/// A task opened from the inbox: its form, rendered from the task's own field list, and its
/// outcomes; completing it shows every refusal at its field and keeps what was typed. Only
/// what the reader may do is offered: its holder completes it and hands it on (so may a
/// manager of the holder's unit), a queued task is claimed first.
export function TaskDrawer({ task, onClose, onDone }: { task: Task; onClose: () => void; onDone: () => void }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const me = useContext(ShellContext)?.me.username ?? '';
  const leads = useContext(WorkspaceContext)?.tasks.leads ?? false;
  const client = useQueryClient();
  const detail = useQuery(queries.task(task.id)).data ?? null;
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [delegate, setDelegate] = useState<string | null>(null);
  const [form] = Form.useForm();
  const ctx: InputContext = { app: task.app, language, zone: useContext(ZoneContext), disabled: false };
  const outcomeField: FieldMeta = { key: 'outcome', type: 'single_select', mode: 'visible', label: { [language]: t('task.outcome') } };

  /// A task done or handed on changes the inbox, its counts, the record it is about and
  /// what its process does next: all read again.
  async function changed() {
    onDone();
    await invalidate(client, ['/api/v1/tasks', '/api/v1/workspace', '/api/v1/notifications', '/api/v1/apps/{app}/']);
  }

  async function complete(values: Record<string, unknown>) {
    setBusy(true);
    setProblem(null);
    const { outcome, ...rest } = values;
    const given = apiValues(detail?.form.fields ?? [], rest, ctx);
    const body = { values: given, ...(outcome ? { outcome } : {}) };
    const { response, error } = await api.POST('/api/v1/tasks/{id}/complete', {
      params: { path: { id: task.id } },
      body: body as never,
    });
    setBusy(false);
    if (response.ok) {
      await changed();
      return;
    }
    const refusal = error as Problem | undefined;
    // Each refusal at its field (`/values/notes`, `/outcome`); the rest above the form.
    const at = (refusal?.errors ?? []).map((e) => {
      const name = e.path.replace(/^\/values\//, '').replace(/^\//, '');
      // Said in the reader's language, naming the field by its label.
      const field = name === 'outcome' ? outcomeField : fieldAt(detail?.form.fields ?? [], `/${name}`);
      return { name, errors: [fieldProblem(e, field, language)] };
    });
    form.setFields([...form.getFieldsError().map((f) => ({ name: f.name, errors: [] as string[] })), ...at]);
    if (at.length === 0) setProblem(refusalText(refusal, language, response.statusText));
  }

  /// Claims a queue's task, gives it back, or hands it to someone; the inbox then reloads.
  async function reassign(how: 'claim' | 'unclaim' | 'delegate') {
    setProblem(null);
    const path = { params: { path: { id: task.id } } };
    const answer = how === 'claim' ? await api.POST('/api/v1/tasks/{id}/claim', path)
      : how === 'unclaim' ? await api.POST('/api/v1/tasks/{id}/unclaim', path)
      : await api.POST('/api/v1/tasks/{id}/delegate', { ...path, body: { to: delegate ?? '' } });
    if (answer.response.ok) return changed();
    setProblem(refusalText(answer.error as Problem | undefined, language, answer.response.statusText));
  }
  const queued = task.candidate_role !== null && task.candidate_role !== undefined;
  const mine = task.assignee === me;
  const handsOn = mine || (leads && !!task.assignee);
  // Whom it may go to: people who may work on it, by name (asked for only when it may go).
  const takers = useQuery({ ...queries.takers(task.id), enabled: handsOn }).data?.items ?? [];

  return (
    <Drawer open title={task.title} onClose={onClose} size="large" aria-label={task.title}>
      {problem && <Alert role="alert" type="error" title={problem} style={{ marginBottom: 16 }} />}
      <Space wrap style={{ marginBottom: 16 }}>
        {queued && !task.assignee && <Button onClick={() => void reassign('claim')}>{t('task.claim')}</Button>}
        {queued && task.assignee && <Button onClick={() => void reassign('unclaim')}>{t('task.unclaim')}</Button>}
        {handsOn && (
          <Space.Compact>
            <Select aria-label={t('task.delegateTo')} placeholder={t('task.delegateTo')} style={{ minWidth: 200 }} value={delegate}
              showSearch={{ optionFilterProp: 'label' }} onChange={(v: string) => setDelegate(v)} notFoundContent={t('task.noTakers')}
              options={takers.map((p) => ({ value: p.username, label: p.display_name ? `${p.display_name} (${p.username})` : p.username }))} />
            <Button disabled={!delegate} onClick={() => void reassign('delegate')}>{t('task.delegate')}</Button>
          </Space.Compact>
        )}
      </Space>
      {!mine && (
        <Alert type="info" style={{ marginBottom: 16 }}
          title={task.assignee ? t('task.heldBy', { holder: task.assignee }) : t('task.claimFirst')} />
      )}
      {!detail || !mine ? null : (
        <Form form={form} layout="vertical" onFinish={complete} onValuesChange={(values: Record<string, unknown>) => form.setFields(clearedErrors(values))}>
          {detail.form.fields.map((f) => <FieldItem key={f.key} field={f} ctx={ctx} writable />)}
          {detail.outcomes.length > 0 && (
            <Form.Item name="outcome" label={t('task.outcome')}>
              <Radio.Group options={detail.outcomes.map((o) => ({ label: label(o.label, language) || o.key, value: o.key }))} />
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
