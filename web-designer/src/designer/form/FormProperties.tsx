// The form's own properties, shown while no field is selected: its labels, title field,
// columns (1–3), tabs and sections (added, renamed, put on a tab, removed: their fields
// stay, in no section), and its validations in the expression editor.
import { useContext } from 'react';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Form, Input, Radio, Select, Space } from 'antd';
import { LanguageContext, label, joinIn } from '../../i18n';
import type { Name } from '../expr/ExpressionEditor';
import type { Finding } from '../api';
import { useD } from '../i18n';
import { at, ExpressionProp, LabelsInput, Prop } from './inputs';
import { freshKey, updateForm, type FormDoc, type LayoutDoc } from './model';

export function FormProperties({ doc, findings, names, describe, onChange }: {
  doc: FormDoc; findings: Finding[]; names: Name[]; describe: (n: Name) => string;
  onChange: (next: FormDoc, mark?: string) => void;
}) {
  const d = useD();
  const language = useContext(LanguageContext);
  const layout: LayoutDoc = doc.layout ?? {};
  const sections = layout.sections ?? [];
  const tabs = layout.tabs ?? [];
  const setLayout = (patch: Partial<LayoutDoc>, mark?: string) => onChange(updateForm(doc, { layout: { ...layout, ...patch } }), mark);
  const validations = doc.validations ?? [];
  const setValidations = (next: FormDoc['validations'], mark?: string) => onChange(updateForm(doc, { validations: next?.length ? next : undefined }), mark);
  const name = (l: Record<string, string>, key: string) => label(l, language) || key;
  const texts = ['text', 'long_text', 'email', 'phone'];
  const searched = doc.fields.filter((f) => texts.includes(f.type) && (doc.title_field === f.key || f.unique === true || f.index === true));
  return (
    <Form layout="vertical" component="div" className="properties">
      <h2>{d('props.form')}</h2>
      <LabelsInput id="form-label" name={d('props.formLabel')} value={doc.label} findings={at(findings, '/label')}
        onChange={(v) => onChange(updateForm(doc, { label: v ?? {} }), 'form.label')} />
      <Prop name={d('props.titleField')} findings={at(findings, '/title_field')} htmlFor="form-title">
        <Select showSearch={{ optionFilterProp: 'label' }} id="form-title" aria-label={d('props.titleField')} value={doc.title_field ?? ''}
          onChange={(v: string) => onChange(updateForm(doc, { title_field: v || undefined }))}
          options={[{ value: '', label: d('props.none') }, ...doc.fields.map((f) => ({ value: f.key, label: name(f.label, f.key) }))]} />
      </Prop>
      <Prop name={d('props.search')} findings={[]}>
        {/* What the list's search box looks in, as the server decides it. */}
        <div className="search-fields">
          {searched.length ? joinIn(language, searched.map((f) => name(f.label, f.key))) : d('props.none')}
          <div className="hint">{d('props.searchHint')}</div>
        </div>
      </Prop>
      <Prop name={d('props.layoutColumns')} findings={at(findings, '/layout/columns')}>
        <Radio.Group aria-label={d('props.layoutColumns')} value={layout.columns ?? 1} onChange={(e) => setLayout({ columns: e.target.value as number })}
          options={[1, 2, 3].map((n) => ({ value: n, label: d('props.columnsN', { n }) }))} optionType="button" />
      </Prop>
      <Prop name={d('props.tabs')} findings={at(findings, '/layout/tabs')}>
        {tabs.map((tab, i) => (
          <Space.Compact key={tab.key} block style={{ marginBottom: 4 }}>
            <Input aria-label={d('props.tabName', { n: i + 1 })} value={tab.label['zh-CN'] ?? ''}
              onChange={(e) => setLayout({ tabs: tabs.map((x, j) => (j === i ? { ...x, label: { ...x.label, 'zh-CN': e.target.value } } : x)) }, `tab.${tab.key}`)} />
            <Input aria-label={d('props.tabNameEn', { n: i + 1 })} value={tab.label.en ?? ''}
              onChange={(e) => setLayout({ tabs: tabs.map((x, j) => (j === i ? { ...x, label: { ...x.label, en: e.target.value } } : x)) }, `tab.${tab.key}.en`)} />
            <Button danger icon={<DeleteOutlined />} aria-label={d('props.removeTab', { n: i + 1 })}
              onClick={() => setLayout({ tabs: tabs.filter((_, j) => j !== i), sections: sections.map((s) => (s.tab === tab.key ? { ...s, tab: undefined } : s)) })} />
          </Space.Compact>
        ))}
        <Button icon={<PlusOutlined />} onClick={() => {
          const key = freshKey('tab', tabs.map((t) => t.key));
          setLayout({ tabs: [...tabs, { key, label: { 'zh-CN': `标签页 ${tabs.length + 1}`, en: `Tab ${tabs.length + 1}` } }] });
        }}>{d('props.addTab')}</Button>
      </Prop>
      <Prop name={d('props.sections')} findings={at(findings, '/layout/sections')}>
        {sections.map((s, i) => (
          <div key={s.key} className="section-row">
            <Space.Compact block>
              <Input aria-label={d('props.sectionName', { n: i + 1 })} value={s.label['zh-CN'] ?? ''}
                onChange={(e) => setLayout({ sections: sections.map((x, j) => (j === i ? { ...x, label: { ...x.label, 'zh-CN': e.target.value } } : x)) }, `section.${s.key}`)} />
              <Input aria-label={d('props.sectionNameEn', { n: i + 1 })} value={s.label.en ?? ''}
                onChange={(e) => setLayout({ sections: sections.map((x, j) => (j === i ? { ...x, label: { ...x.label, en: e.target.value } } : x)) }, `section.${s.key}.en`)} />
              <Button danger icon={<DeleteOutlined />} aria-label={d('props.removeSection', { n: i + 1 })}
                onClick={() => setLayout({ sections: sections.filter((_, j) => j !== i) })} />
            </Space.Compact>
            {tabs.length > 0 && (
              <Select showSearch={{ optionFilterProp: 'label' }} aria-label={d('props.sectionTab', { n: i + 1 })} value={s.tab ?? ''} style={{ width: '100%', marginTop: 4 }}
                onChange={(v: string) => setLayout({ sections: sections.map((x, j) => (j === i ? { ...x, tab: v || undefined } : x)) })}
                options={[{ value: '', label: d('props.firstTab') }, ...tabs.map((t) => ({ value: t.key, label: name(t.label, t.key) }))]} />
            )}
          </div>
        ))}
        <Button icon={<PlusOutlined />} onClick={() => {
          const key = freshKey('section', sections.map((s) => s.key));
          setLayout({ sections: [...sections, { key, label: { 'zh-CN': `分组 ${sections.length + 1}`, en: `Section ${sections.length + 1}` }, fields: [] }] });
        }}>{d('props.addSection')}</Button>
      </Prop>
      <h3>{d('props.validations')}</h3>
      {validations.map((v, i) => (
        <div key={i} className="validation-row" role="group" aria-label={d('props.validationN', { n: i + 1 })}>
          <ExpressionProp id={`validation-${i}`} name={d('props.condition', { n: i + 1 })} value={v.condition} path={`/validations/${i}/condition`}
            findings={findings} names={names} describe={describe}
            onChange={(text) => setValidations(validations.map((x, j) => (j === i ? { ...x, condition: text } : x)), `validation.${i}`)} />
          <LabelsInput id={`validation-${i}-message`} name={d('props.message', { n: i + 1 })} value={v.message} findings={at(findings, `/validations/${i}/message`)}
            onChange={(m) => setValidations(validations.map((x, j) => (j === i ? { ...x, message: m ?? {} } : x)), `validation.${i}.message`)} />
          <Button danger onClick={() => setValidations(validations.filter((_, j) => j !== i))}>{d('props.removeValidation', { n: i + 1 })}</Button>
        </div>
      ))}
      <Button icon={<PlusOutlined />} onClick={() => setValidations([...validations, { condition: '', message: { 'zh-CN': '', en: '' } }])}>
        {d('props.addValidation')}
      </Button>
    </Form>
  );
}
