import { useContext, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Form, Input, Space } from 'antd';
import { api, shownMasked, type FieldMeta, type Problem, type WorkspaceForm } from '../api/client';
import { formatDecimal } from '../format';
import { ZoneContext } from '../workspace';
import { LanguageContext, label, useT } from '../i18n';
import { guardLeaving } from '../route';
import { fieldType, type InputContext } from './fields';
import { SubTable } from './SubTable';
import { apiValues, clearedErrors, errorName, inputValues, type Row } from './values';
import { fieldAt, fieldProblem, refusalText } from './problems';

const CHECK_DELAY = 300;

/// A record's form, rendered from its form's metadata for the fields the user may see:
/// read-only and masked fields shown but never sent, formulas and `visible_when` decided
/// by the server's engine as the record changes (`…/check`, debounced), every refusal at
/// its field, an edit carrying `If-Match` and a changed record offered to reload or keep.
/// What was typed is never lost: not by a refused save, nor by leaving without a warning.
export function RecordForm({ app, form, record, onSaved }: {
  app: string; form: WorkspaceForm; record: Row | null; onSaved: (saved: Row) => void;
}) {
  const t = useT();
  const language = useContext(LanguageContext);
  const fields = form.fields as unknown as FieldMeta[];
  const ctx: InputContext = { app, language, zone: useContext(ZoneContext), disabled: false };
  const initial = useMemo(() => inputValues(fields, record ?? {}, ctx), [record, fields]);
  const [antForm] = Form.useForm();
  const [hidden, setHidden] = useState<string[]>([]);
  const [formulas, setFormulas] = useState<Record<string, unknown>>(record ?? {});
  const [problem, setProblem] = useState<string | null>(null);
  const [conflict, setConflict] = useState<{ current: Row; changed: string[] } | null>(null);
  const [version, setVersion] = useState<number | undefined>(record?._version);
  const [busy, setBusy] = useState(false);
  const timer = useRef<number | undefined>(undefined);

  const writable = (f: FieldMeta) => f.mode === 'visible' && f.type !== 'formula';
  /// What a save or a check sends: the writable fields shown, all of them for a new record;
  /// for an edit only the changed ones, a value emptied sent as null.
  function payload(): Record<string, unknown> {
    const now = apiValues(fields.filter(writable), antForm.getFieldsValue(true), ctx);
    if (!record) return Object.fromEntries(Object.entries(now).filter(([key]) => !hidden.includes(key)));
    const before = apiValues(fields.filter(writable), initial, ctx);
    const changed = Object.entries(now).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(before[key]));
    const emptied = Object.keys(before).filter((key) => !(key in now)).map((key) => [key, null] as const);
    return Object.fromEntries([...changed, ...emptied].filter(([key]) => !hidden.includes(key)));
  }

  async function check() {
    const body = { values: payload(), ...(record ? { id: record.id } : {}) };
    const { data } = await api.POST('/api/v1/apps/{app}/forms/{form}/check', { params: { path: { app, form: form.key } }, body });
    if (!data) return;
    setHidden(data.hidden);
    setFormulas(data.formulas as Record<string, unknown>);
  }

  useEffect(() => {
    antForm.resetFields();
    setVersion(record?._version);
    void check();
    return () => {
      window.clearTimeout(timer.current);
      guardLeaving(null);
    };
  }, [record]);

  function changed(values: Record<string, unknown>) {
    antForm.setFields(clearedErrors(values));
    guardLeaving(t('form.leave'));
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => void check(), CHECK_DELAY);
  }

  async function save() {
    setBusy(true);
    setProblem(null);
    const body = payload() as never;
    const path = { app, form: form.key };
    const answer = record
      ? await api.PATCH('/api/v1/apps/{app}/forms/{form}/records/{id}', {
          params: { path: { ...path, id: record.id }, header: { 'If-Match': `"${version ?? record._version}"` } }, body,
        })
      : await api.POST('/api/v1/apps/{app}/forms/{form}/records', { params: { path }, body });
    setBusy(false);
    if (answer.response.ok) {
      guardLeaving(null);
      onSaved(answer.data as unknown as Row);
      return;
    }
    const refusal = answer.error as Problem | undefined;
    if (answer.response.status === 412 && record) return showConflict();
    const at = (refusal?.errors ?? []).filter((e) => e.path !== '').map((e) => ({
      name: errorName(e.path),
      errors: [fieldProblem(e, fieldAt(fields, e.path), language)],
    }));
    // The last refusal's errors go; this one's are shown where they apply.
    antForm.setFields([...antForm.getFieldsError().map((f) => ({ name: f.name, errors: [] as string[] })), ...at]);
    const whole = (refusal?.errors ?? []).filter((e) => e.path === '').map((e) => fieldProblem(e, undefined, language));
    if (at.length === 0 || whole.length > 0) setProblem(whole.join('；') || refusalText(refusal, language, answer.response.statusText));
    if (at[0]) antForm.scrollToField(at[0].name, { focus: true });
  }

  /// Someone saved the record since it was opened: what they changed, and the choice.
  async function showConflict() {
    if (!record) return;
    const { data } = await api.GET('/api/v1/apps/{app}/forms/{form}/records/{id}', { params: { path: { app, form: form.key, id: record.id } } });
    const current = data as unknown as Row;
    const differs = fields.filter((f) => JSON.stringify(current[f.key] ?? null) !== JSON.stringify(record[f.key] ?? null));
    setConflict({ current, changed: differs.map((f) => label(f.label, language)) });
  }

  const shown = fields.filter((f) => !hidden.includes(f.key));
  return (
    <Form form={antForm} layout="vertical" initialValues={initial} onValuesChange={changed} onFinish={() => void save()}
      aria-label={label(form.label, language)} className="record-form">
      {problem && <Alert role="alert" type="error" title={problem} style={{ marginBottom: 16 }} />}
      {conflict && (
        <Alert role="alert" type="warning" style={{ marginBottom: 16 }}
          title={t('form.conflict', { fields: conflict.changed.join('、') || '—' })}
          action={
            <Space>
              <Button onClick={() => { setConflict(null); guardLeaving(null); onSaved(conflict.current); }}>{t('form.reload')}</Button>
              <Button type="primary" onClick={() => { setVersion(conflict.current._version); setConflict(null); }}>{t('form.keepMine')}</Button>
            </Space>
          } />
      )}
      <div className="record-grid">
        {shown.map((f) => {
          const name = label(f.label, language);
          const extra = f.help ? label(f.help, language) : undefined;
          if (f.type === 'formula') {
            const value = formulas[f.key];
            const text = value === null || value === undefined ? '' : f.result_type === 'decimal' ? formatDecimal(String(value), f.scale ?? 2) : String(value);
            return (
              <Form.Item key={f.key} label={name} htmlFor={`formula-${f.key}`} extra={extra}>
                <Input id={`formula-${f.key}`} value={text} readOnly className="number" />
              </Form.Item>
            );
          }
          if (f.type === 'sub_table') {
            return <SubTable key={f.key} field={f} ctx={{ ...ctx, disabled: !writable(f) }} />;
          }
          const kind = fieldType(f);
          const lookup = (record?._lookup?.[f.key] ?? null) as Record<string, unknown> | null;
          const input = shownMasked(f)
            ? <Input readOnly disabled />
            : kind.input(f, { ...ctx, disabled: !writable(f), ...(lookup ? { shown: Object.values(lookup).filter((v) => v !== null).join(' · ') } : {}) });
          return (
            <Form.Item key={f.key} name={f.key} label={name} required={f.required ?? false} extra={extra}
              valuePropName={kind.valueProp ?? 'value'} className={f.type === 'long_text' || f.type === 'attachment' ? 'wide' : 'field'}>
              {input}
            </Form.Item>
          );
        })}
      </div>
      <Space>
        <Button type="primary" htmlType="submit" loading={busy}>{t('form.save')}</Button>
      </Space>
    </Form>
  );
}
