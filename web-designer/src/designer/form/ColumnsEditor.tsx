// A sub-table's own columns, edited in place: each a key, a label in both languages and a
// type; added and removed (each one undoable step).
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Input, Select, Space } from 'antd';
import type { FieldType } from '../../api/client';
import type { Finding } from '../api';
import { useD } from '../i18n';
import { at, Prop } from './inputs';
import { freshKey, type FieldDoc } from './model';

const COLUMN_TYPES: FieldType[] = ['text', 'integer', 'decimal', 'boolean', 'date', 'email', 'phone', 'single_select'];

export function ColumnsEditor({ field, findings, path, onChange }: {
  field: FieldDoc; findings: Finding[]; path: string; onChange: (columns: FieldDoc[]) => void;
}) {
  const d = useD();
  const columns = (field.fields as FieldDoc[] | undefined) ?? [];
  const put = (i: number, patch: Partial<FieldDoc>) => onChange(columns.map((c, j) => (j === i ? ({ ...c, ...patch } as FieldDoc) : c)));
  const retype = (i: number, type: FieldType) => {
    const c = columns[i];
    if (!c) return;
    const kept: FieldDoc = { key: c.key, type, label: c.label };
    if (type === 'decimal') Object.assign(kept, { precision: 18, scale: 2 });
    if (type === 'single_select') kept.options = [{ value: 'a', label: { 'zh-CN': '选项 A', en: 'Option A' } }];
    onChange(columns.map((x, j) => (j === i ? kept : x)));
  };
  const add = () => {
    const key = freshKey('column', columns.map((c) => c.key));
    onChange([...columns, { key, type: 'text', label: { 'zh-CN': `列 ${columns.length + 1}`, en: `Column ${columns.length + 1}` } }]);
  };
  return (
    <Prop name={d('props.columns')} findings={at(findings, `${path}/fields`)}>
      <ol className="options-editor">
        {columns.map((c, i) => {
          const n = i + 1;
          return (
            <li key={i}>
              <Space.Compact block>
                <Input aria-label={d('columns.key', { n })} value={c.key} onChange={(e) => put(i, { key: e.target.value.trim() })} style={{ width: '30%' }} />
                <Input aria-label={d('columns.labelZh', { n })} value={c.label['zh-CN'] ?? ''} onChange={(e) => put(i, { label: { ...c.label, 'zh-CN': e.target.value } })} />
                <Input aria-label={d('columns.labelEn', { n })} value={c.label.en ?? ''} onChange={(e) => put(i, { label: { ...c.label, en: e.target.value } })} />
              </Space.Compact>
              <Space size={2} style={{ marginTop: 4 }}>
                <Select showSearch={{ optionFilterProp: 'label' }} aria-label={d('columns.type', { n })} value={c.type} style={{ width: 140 }} onChange={(t: FieldType) => retype(i, t)}
                  options={COLUMN_TYPES.map((t) => ({ value: t, label: d(`type.${t}`) }))} />
                <Button size="small" danger icon={<DeleteOutlined />} aria-label={d('columns.remove', { n })} onClick={() => onChange(columns.filter((_, j) => j !== i))} />
              </Space>
              {findings.filter((f) => f.path.startsWith(`${path}/fields/${i}/`)).map((f) => <div key={f.path + f.code} className="finding">{f.message}</div>)}
            </li>
          );
        })}
      </ol>
      <Button icon={<PlusOutlined />} onClick={add}>{d('columns.add')}</Button>
    </Prop>
  );
}
