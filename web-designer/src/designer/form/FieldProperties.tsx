// The property panel of one field: its key (checked; a saved field is renamed through the
// server, which rewrites what reads it), labels and help in both languages, type, section,
// required/unique/index/personal data, bounds and scale, options with colours, default,
// prefill, relation target and lookups, sub-table columns, `visible_when` and a formula in
// the expression editor. Every change is one undoable step of the designer.
import { useContext } from 'react';
import { Button, Form, Input, Select, Space, Switch } from 'antd';
import type { FieldType } from '../../api/client';
import { LanguageContext, label } from '../../i18n';
import type { Name } from '../expr/ExpressionEditor';
import type { Finding } from '../api';
import { useD } from '../i18n';
import { at, ExpressionProp, LabelsInput, Prop } from './inputs';
import { APPLIES, TYPES, sectionOf, type FieldDoc, type FormDoc } from './model';
import { OptionsEditor } from './OptionsEditor';
import { ColumnsEditor } from './ColumnsEditor';

const KEY = /^[a-z][a-z0-9_]{0,31}$/;
const RESULT_TYPES = ['decimal', 'integer', 'text', 'boolean', 'date'];

export interface FieldPanelProps {
  doc: FormDoc;
  field: FieldDoc;
  index: number;
  findings: Finding[];
  names: Name[];
  describe: (n: Name) => string;
  forms: FormDoc[];
  /// Whether the field is in the saved draft: its key then changes by a rename.
  saved: boolean;
  onPatch: (patch: Record<string, unknown>, mark?: string) => void;
  onType: (type: FieldType) => void;
  onSection: (section: string | null) => void;
  onRename: () => void;
}

export function FieldProperties(p: FieldPanelProps) {
  const d = useD();
  const language = useContext(LanguageContext);
  const { field, index } = p;
  const path = `/fields/${index}`;
  const here = (prop: string) => at(p.findings, `${path}/${prop}`);
  const applies = (prop: string) => APPLIES[prop]?.includes(field.type) ?? true;
  const set = (prop: string) => (value: unknown) => p.onPatch({ [prop]: value }, `${field.key}.${prop}`);
  const id = (prop: string) => `field-${prop}`;
  const keyTaken = p.doc.fields.some((f, i) => i !== index && f.key === field.key);
  const keyProblem = !KEY.test(field.key) ? d('props.keyBad') : keyTaken ? d('props.keyTaken') : '';
  const target = p.forms.find((f) => f.key === field.form);
  const text = (prop: string) => (typeof field[prop] === 'string' || typeof field[prop] === 'number' ? String(field[prop]) : '');
  const int = (prop: string) => (e: { target: { value: string } }) => set(prop)(e.target.value === '' ? undefined : Number.parseInt(e.target.value, 10) || 0);
  const bound = (prop: string) => (e: { target: { value: string } }) =>
    set(prop)(e.target.value === '' ? undefined : field.type === 'integer' && /^-?\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value);
  const toggle = (prop: string, name: string) => (
    <Prop name={name} findings={here(prop)} htmlFor={id(prop)}>
      <Switch id={id(prop)} aria-label={name} checked={field[prop] === true} onChange={(v) => set(prop)(v || undefined)} />
    </Prop>
  );
  return (
    <Form layout="vertical" component="div" className="properties">
      <h2>{d('props.field', { field: label(field.label, language) || field.key })}</h2>
      <Prop name={d('props.key')} htmlFor={id('key')}
        findings={[...here('key'), ...(keyProblem ? [{ path: '', code: 'key', message: keyProblem }] : [])]}>
        {p.saved ? (
          <Space.Compact block>
            <Input id={id('key')} value={field.key} readOnly />
            <Button onClick={p.onRename}>{d('props.rename')}</Button>
          </Space.Compact>
        ) : (
          <Input id={id('key')} value={field.key} onChange={(e) => set('key')(e.target.value.trim())} />
        )}
      </Prop>
      <LabelsInput id={id('label')} name={d('props.label')} value={field.label} findings={here('label')}
        onChange={(v) => p.onPatch({ label: v ?? {} }, `${field.key}.label`)} />
      <Prop name={d('props.type')} findings={here('type')} htmlFor={id('type')}>
        <Select showSearch={{ optionFilterProp: 'label' }} id={id('type')} aria-label={d('props.type')} value={field.type} onChange={(v: FieldType) => p.onType(v)}
          options={TYPES.map((t) => ({ value: t, label: d(`type.${t}`) }))} />
      </Prop>
      <Prop name={d('props.section')} findings={[]} htmlFor={id('section')}>
        <Select showSearch={{ optionFilterProp: 'label' }} id={id('section')} aria-label={d('props.section')} value={sectionOf(p.doc, field.key) ?? ''} onChange={(v: string) => p.onSection(v || null)}
          options={[{ value: '', label: d('canvas.unsectioned') }, ...(p.doc.layout?.sections ?? []).map((s) => ({ value: s.key, label: label(s.label, language) || s.key }))]} />
      </Prop>
      <LabelsInput id={id('help')} name={d('props.help')} value={field.help as Record<string, string> | undefined} findings={here('help')} onChange={set('help')} />
      {field.type !== 'formula' && toggle('required', d('props.required'))}
      {!['multi_select', 'sub_table', 'attachment', 'formula', 'long_text', 'boolean'].includes(field.type) && toggle('unique', d('props.unique'))}
      {!['multi_select', 'sub_table', 'attachment', 'formula', 'long_text'].includes(field.type) && toggle('index', d('props.index'))}
      {toggle('personal_data', d('props.personalData'))}
      {applies('min') && (
        <>
          <Prop name={d('props.min')} findings={here('min')} htmlFor={id('min')}><Input id={id('min')} inputMode="decimal" value={text('min')} onChange={bound('min')} /></Prop>
          <Prop name={d('props.max')} findings={here('max')} htmlFor={id('max')}><Input id={id('max')} inputMode="decimal" value={text('max')} onChange={bound('max')} /></Prop>
        </>
      )}
      {applies('precision') && (
        <>
          <Prop name={d('props.precision')} findings={here('precision')} htmlFor={id('precision')}><Input id={id('precision')} inputMode="numeric" value={text('precision')} onChange={int('precision')} /></Prop>
          <Prop name={d('props.scale')} findings={here('scale')} htmlFor={id('scale')}><Input id={id('scale')} inputMode="numeric" value={text('scale')} onChange={int('scale')} /></Prop>
        </>
      )}
      {applies('max_length') && (
        <>
          <Prop name={d('props.minLength')} findings={here('min_length')} htmlFor={id('min_length')}><Input id={id('min_length')} inputMode="numeric" value={text('min_length')} onChange={int('min_length')} /></Prop>
          <Prop name={d('props.maxLength')} findings={here('max_length')} htmlFor={id('max_length')}><Input id={id('max_length')} inputMode="numeric" value={text('max_length')} onChange={int('max_length')} /></Prop>
        </>
      )}
      {applies('options') && <OptionsEditor field={field} findings={p.findings} path={path} onChange={set('options')} />}
      {applies('form') && (
        <>
          <Prop name={d('props.target')} findings={here('form')} htmlFor={id('form')}>
            <Select showSearch={{ optionFilterProp: 'label' }} id={id('form')} aria-label={d('props.target')} value={(field.form as string | undefined) ?? null}
              onChange={(v: string) => p.onPatch({ form: v, lookup: undefined }, `${field.key}.form`)}
              options={p.forms.filter((f) => f.key !== p.doc.key).map((f) => ({ value: f.key, label: label(f.label, language) || f.key }))} />
          </Prop>
          <Prop name={d('props.lookup')} findings={here('lookup')} htmlFor={id('lookup')}>
            <Select showSearch={{ optionFilterProp: 'label' }} id={id('lookup')} aria-label={d('props.lookup')} mode="multiple" value={(field.lookup as string[] | undefined) ?? []}
              onChange={(v: string[]) => set('lookup')(v.length ? v : undefined)}
              options={(target?.fields ?? []).map((f) => ({ value: f.key, label: label(f.label, language) || f.key }))} />
          </Prop>
        </>
      )}
      {applies('fields') && <ColumnsEditor field={field} findings={p.findings} path={path} onChange={set('fields')} />}
      {applies('expression') && (
        <>
          <ExpressionProp id={id('expression')} name={d('props.formula')} value={text('expression')} path={`${path}/expression`}
            findings={p.findings} names={p.names} describe={p.describe} onChange={(v) => p.onPatch({ expression: v }, `${field.key}.expression`)} />
          <Prop name={d('props.resultType')} findings={here('result_type')} htmlFor={id('result_type')}>
            <Select showSearch={{ optionFilterProp: 'label' }} id={id('result_type')} aria-label={d('props.resultType')} value={text('result_type')} onChange={set('result_type')}
              options={RESULT_TYPES.map((t) => ({ value: t, label: d(`type.${t as FieldType}`) }))} />
          </Prop>
        </>
      )}
      {!['formula', 'relation', 'sub_table', 'attachment'].includes(field.type) && (
        <Prop name={d('props.default')} findings={here('default')} htmlFor={id('default')}>
          <DefaultInput id={id('default')} field={field} onChange={set('default')} />
        </Prop>
      )}
      {['date', 'datetime', 'relation'].includes(field.type) && (
        <Prop name={d('props.prefill')} findings={here('prefill')} htmlFor={id('prefill')}>
          <Select showSearch={{ optionFilterProp: 'label' }} id={id('prefill')} aria-label={d('props.prefill')} value={text('prefill')} onChange={set('prefill')}
            options={[{ value: '', label: d('props.none') }, field.type === 'relation'
              ? { value: 'current_user', label: d('props.prefillUser') } : { value: 'now', label: d('props.prefillNow') }]} />
        </Prop>
      )}
      {field.type !== 'formula' && (
        <ExpressionProp id={id('visible_when')} name={d('props.visibleWhen')} value={text('visible_when')} path={`${path}/visible_when`}
          findings={p.findings} names={p.names} describe={p.describe} onChange={(v) => p.onPatch({ visible_when: v }, `${field.key}.visible_when`)} />
      )}
    </Form>
  );
}

/// A field's default as its type holds it: yes or no, one or more of its options, or text
/// (numbers and dates as written; an integer's digits as a number).
function DefaultInput({ id, field, onChange }: { id: string; field: FieldDoc; onChange: (value: unknown) => void }) {
  const d = useD();
  const language = useContext(LanguageContext);
  const value = field.default;
  const options = ((field.options as { value: string; label: Record<string, string> }[] | undefined) ?? [])
    .map((o) => ({ value: o.value, label: label(o.label, language) || o.value }));
  if (field.type === 'boolean') {
    return (
      <Select showSearch={{ optionFilterProp: 'label' }} id={id} aria-label={d('props.default')} value={value === true ? 'yes' : value === false ? 'no' : ''}
        onChange={(v: string) => onChange(v === 'yes' ? true : v === 'no' ? false : undefined)}
        options={[{ value: '', label: d('props.none') }, { value: 'yes', label: d('props.yes') }, { value: 'no', label: d('props.no') }]} />
    );
  }
  if (field.type === 'single_select' || field.type === 'multi_select') {
    const many = field.type === 'multi_select';
    return (
      <Select showSearch={{ optionFilterProp: 'label' }} id={id} aria-label={d('props.default')} allowClear
        {...(many ? { mode: 'multiple' as const } : {})} value={(value as string | string[] | undefined) ?? (many ? [] : null)}
        onChange={(v: string | string[] | undefined) => onChange(Array.isArray(v) ? (v.length ? v : undefined) : v ?? undefined)} options={options} />
    );
  }
  const shown = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  return (
    <Input id={id} value={shown} onChange={(e) => {
      const typed = e.target.value;
      onChange(typed === '' ? undefined : field.type === 'integer' && /^-?\d+$/.test(typed) ? Number(typed) : typed);
    }} />
  );
}
