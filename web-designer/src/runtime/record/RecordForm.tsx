import { useContext, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Form, Space } from 'antd';
import { api, type FieldMeta, type Problem, type Row, type WorkspaceForm } from '../../api/client';
import { FieldItem } from '../../fields/FieldItem';
import { kindOf, lookupText, type InputContext } from '../../fields/kinds';
import { apiValues, clearedErrors, errorName, inputValues } from '../../fields/values';
import { LanguageContext, label, useT, joinIn } from '../../i18n';
import { useForms, ZoneContext } from '../../ui/contexts';
import { fieldAt, fieldProblem, refusalText } from '../../ui/problems';
import { guardLeaving } from '../../ui/router';
import { LaidOut } from './Layout';

const CHECK_DELAY = 300;

/// A record's form, rendered from its form's metadata for the fields the user may see:
/// read-only and masked fields shown but never sent, formulas and `visible_when` decided
/// by the server's engine as the record changes (`…/check`, debounced), every refusal at
/// its field, an edit carrying `If-Match` and a changed record offered to reload or keep.
/// What was typed is never lost: not by a refused save, nor by leaving without a warning.
export function RecordForm({ app, form, record, start = {}, onSaved, preview }: {
  app: string; form: WorkspaceForm; record: Row | null;
  /// A new record's first values (`useStart`), as the API takes them.
  start?: Record<string, unknown>;
  onSaved: (saved: Row) => void;
  /// A designer's preview of a draft form: values are checked by this (the server's check
  /// of the draft) instead of the published form's route, and nothing is saved.
  preview?: (values: Record<string, unknown>) => Promise<{ hidden: string[]; formulas: Record<string, unknown> } | null>;
}) {
  const t = useT();
  const language = useContext(LanguageContext);
  const fields = form.fields;
  const forms = useForms(app);
  const ctx: InputContext = { app, language, zone: useContext(ZoneContext), disabled: false };
  const initial = useMemo(() => inputValues(fields, record ?? start, ctx), [record, fields]);
  const [antForm] = Form.useForm();
  const [hidden, setHidden] = useState<string[]>([]);
  const [formulas, setFormulas] = useState<Record<string, unknown>>(record ?? {});
  // The server's check of the latest values only: an older answer arriving late is dropped.
  const checks = useRef(0);
  const [problem, setProblem] = useState<string | null>(null);
  const [conflict, setConflict] = useState<{ current: Row; changed: string[] } | null>(null);
  const [version, setVersion] = useState<number | undefined>(record?._version);
  const [busy, setBusy] = useState(false);
  const timer = useRef<number | undefined>(undefined);

  // What the reader's role lets them do to this record: a form they may not change is read,
  // not offered for editing (no Save to be refused).
  const editable = form.operations.includes(record ? 'update' : 'create');
  const writable = (f: FieldMeta) => editable && f.mode === 'visible' && kindOf(f).special !== 'formula';
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
    const asked = ++checks.current;
    const { data } = preview
      ? { data: await preview(body.values) }
      : await api.POST('/api/v1/apps/{app}/forms/{form}/check', { params: { path: { app, form: form.key } }, body });
    if (!data || asked !== checks.current) return;
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
  }, [record?.id, record?._version]);

  function changed(values: Record<string, unknown>) {
    antForm.setFields(clearedErrors(values));
    if (!preview) guardLeaving(t('form.leave'));
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
    if (answer.data) {
      guardLeaving(null);
      onSaved(answer.data);
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
    if (at.length === 0 || whole.length > 0) setProblem(joinIn(language, whole, 'sentences') || refusalText(refusal, language, answer.response.statusText));
    if (at[0]) antForm.scrollToField(at[0].name, { focus: true });
  }

  /// Someone saved the record since it was opened: what they changed, and the choice.
  async function showConflict() {
    if (!record) return;
    const { data: current } = await api.GET('/api/v1/apps/{app}/forms/{form}/records/{id}', { params: { path: { app, form: form.key, id: record.id } } });
    if (!current) return;
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
          title={t('form.conflict', { fields: joinIn(language, conflict.changed) || '—' })}
          action={
            <Space>
              <Button onClick={() => { setConflict(null); guardLeaving(null); onSaved(conflict.current); }}>{t('form.reload')}</Button>
              <Button type="primary" onClick={() => { setVersion(conflict.current._version); setConflict(null); }}>{t('form.keepMine')}</Button>
            </Space>
          } />
      )}
      <LaidOut layout={form.layout} fields={shown} item={(f) => {
        const lookup = record?._lookup?.[f.key] ?? null;
        const named = lookup ? { shown: lookupText(f, lookup, { ...ctx, forms }) } : {};
        return <FieldItem key={f.key} field={f} ctx={{ ...ctx, ...named }} formulas={formulas} writable={writable(f)} />;
      }} />
      {fields.some(writable) && !preview && (
        <Space>
          <Button type="primary" htmlType="submit" loading={busy}>{t('form.save')}</Button>
        </Space>
      )}
    </Form>
  );
}
