import { useContext, useState } from 'react';
import { Alert, Button, Form, Popconfirm, Popover, Select, Space, Typography } from 'antd';
import { DeleteOutlined, DownloadOutlined, EditOutlined } from '@ant-design/icons';
import { useQueryClient } from '@tanstack/react-query';
import { api, type FieldMeta, type Problem, type WorkspaceForm } from '../../api/client';
import { recordWritten, type ListParams } from '../../api/queries';
import { FieldItem } from '../../fields/FieldItem';
import { kindOf, type InputContext } from '../../fields/kinds';
import { apiValues } from '../../fields/values';
import { LanguageContext, label, useT } from '../../i18n';
import { ZoneContext } from '../../ui/contexts';
import { saveBlob } from '../../ui/download';
import { fieldAt, fieldProblem, refusalText } from '../../ui/problems';

/// What the selected rows can have done to them together: one field set on all, all
/// deleted (each through the server's write pipeline, all or nothing, every refusal
/// named), and the current view exported as CSV by the server.
export function BulkActions({ app, form, fields, selected, query, onDone }: {
  app: string; form: WorkspaceForm; fields: FieldMeta[]; selected: number[];
  query: ListParams; onDone: () => void;
}) {
  const t = useT();
  const language = useContext(LanguageContext);
  const [refusals, setRefusals] = useState<string[]>([]);
  const [field, setField] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [antForm] = Form.useForm();
  const client = useQueryClient();
  const ctx: InputContext = { app, language, zone: useContext(ZoneContext), disabled: false };
  const settable = fields.filter((f) => f.mode === 'visible' && kindOf(f).bulk);
  const chosen = settable.find((f) => f.key === field);

  async function change(body: Record<string, unknown>) {
    setBusy(true);
    setRefusals([]);
    const { data, error } = await api.POST('/api/v1/apps/{app}/forms/{form}/bulk', { params: { path: { app, form: form.key } }, body: body as never });
    setBusy(false);
    if (data) {
      setField(null);
      antForm.resetFields();
      onDone();
      await recordWritten(client, app);
      return;
    }
    const refusal = error as Problem | undefined;
    setRefusals(refusal?.errors?.length ? refusal.errors.map((e) => fieldProblem(e, fieldAt(fields, e.path), language)) : [refusalText(refusal, language)]);
  }

  async function exportCsv() {
    // Through the API client (the session's cookie, its 401); the file is saved from memory.
    const { data, error, response } = await api.GET('/api/v1/apps/{app}/forms/{form}/export', {
      params: { path: { app, form: form.key }, query }, parseAs: 'blob',
    });
    if (!data) {
      setRefusals([refusalText(error as Problem | undefined, language, response.statusText)]);
      return;
    }
    saveBlob(data, `${label(form.label, language) || form.key}.csv`);
  }

  const setOne = (
    <Form form={antForm} layout="vertical" style={{ width: 320 }} onFinish={(values: Record<string, unknown>) => {
      if (!chosen) return;
      const sent = apiValues([chosen], values, ctx);
      void change({ action: 'update', ids: selected, values: { [chosen.key]: sent[chosen.key] ?? null } });
    }}>
      <Form.Item label={t('bulk.field')} htmlFor="bulk-field">
        <Select id="bulk-field" value={field} showSearch={{ optionFilterProp: 'label' }}
          options={settable.map((f) => ({ value: f.key, label: label(f.label, language) }))} onChange={(k: string) => setField(k)} />
      </Form.Item>
      {chosen && <FieldItem field={{ ...chosen, label: { [language]: t('bulk.value') }, help: null }} ctx={ctx} writable />}
      <Button type="primary" htmlType="submit" disabled={!chosen} loading={busy}>{t('bulk.apply', { count: selected.length })}</Button>
    </Form>
  );

  return (
    <div className="bulk-actions">
      <Space wrap>
        {selected.length > 0 && <Typography.Text>{t('bulk.selected', { count: selected.length })}</Typography.Text>}
        {selected.length > 0 && form.operations.includes('update') && (
          <Popover trigger="click" content={setOne} placement="bottomLeft">
            <Button icon={<EditOutlined />}>{t('bulk.edit')}</Button>
          </Popover>
        )}
        {selected.length > 0 && form.operations.includes('delete') && (
          <Popconfirm title={t('bulk.deleteConfirm', { count: selected.length })} onConfirm={() => void change({ action: 'delete', ids: selected })}>
            <Button danger icon={<DeleteOutlined />} loading={busy}>{t('bulk.delete')}</Button>
          </Popconfirm>
        )}
        {form.operations.includes('export') && (
          <Button icon={<DownloadOutlined />} onClick={() => void exportCsv()}>{t('bulk.export')}</Button>
        )}
      </Space>
      {refusals.length > 0 && (
        <Alert type="error" role="alert" style={{ marginTop: 8 }} title={t('bulk.refused')}
          description={<ul>{refusals.map((r, i) => <li key={i}>{r}</li>)}</ul>} closable={{ onClose: () => setRefusals([]) }} />
      )}
    </div>
  );
}
