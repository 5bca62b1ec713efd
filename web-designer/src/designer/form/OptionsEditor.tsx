// A select field's options: each its stored value, its label in both languages and its
// colour; added, removed and moved up or down (each one undoable step).
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Input, Select, Space } from 'antd';
import type { Finding } from '../api';
import { useD } from '../i18n';
import { at, Prop } from './inputs';
import type { FieldDoc, Labels } from './model';

interface Option { value: string; label: Labels; color?: string }
const COLOURS = ['blue', 'green', 'gold', 'orange', 'red', 'purple', 'cyan', 'magenta', 'gray'] as const;

export function OptionsEditor({ field, findings, path, onChange }: {
  field: FieldDoc; findings: Finding[]; path: string; onChange: (options: Option[]) => void;
}) {
  const d = useD();
  const options = (field.options as Option[] | undefined) ?? [];
  const put = (i: number, patch: Partial<Option>) =>
    onChange(options.map((o, j) => {
      if (j !== i) return o;
      const next = { ...o, ...patch };
      if (!next.color) delete next.color;
      return next;
    }));
  const move = (i: number, by: number) => {
    const next = [...options];
    const [o] = next.splice(i, 1);
    if (o) next.splice(i + by, 0, o);
    onChange(next);
  };
  const fresh = () => {
    let n = options.length + 1;
    while (options.some((o) => o.value === `option_${n}`)) n++;
    return { value: `option_${n}`, label: { 'zh-CN': `选项 ${n}`, en: `Option ${n}` } };
  };
  return (
    <Prop name={d('props.options')} findings={at(findings, `${path}/options`)}>
      <ol className="options-editor">
        {options.map((o, i) => {
          const n = i + 1;
          return (
            <li key={i}>
              <Space.Compact block>
                <Input aria-label={d('options.value', { n })} value={o.value} onChange={(e) => put(i, { value: e.target.value })} style={{ width: '30%' }} />
                <Input aria-label={d('options.labelZh', { n })} value={o.label['zh-CN'] ?? ''} onChange={(e) => put(i, { label: { ...o.label, 'zh-CN': e.target.value } })} />
                <Input aria-label={d('options.labelEn', { n })} value={o.label.en ?? ''} onChange={(e) => put(i, { label: { ...o.label, en: e.target.value } })} />
              </Space.Compact>
              <Space size={2} style={{ marginTop: 4 }}>
                <Select showSearch={{ optionFilterProp: 'label' }} aria-label={d('options.colour', { n })} value={o.color ?? ''} style={{ width: 110 }} onChange={(c: string) => put(i, { color: c })}
                  options={[{ value: '', label: d('options.noColour') }, ...COLOURS.map((c) => ({ value: c, label: d(`colour.${c}`) }))]} />
                <Button size="small" icon={<ArrowUpOutlined />} disabled={i === 0} aria-label={d('options.up', { n })} onClick={() => move(i, -1)} />
                <Button size="small" icon={<ArrowDownOutlined />} disabled={i === options.length - 1} aria-label={d('options.down', { n })} onClick={() => move(i, 1)} />
                <Button size="small" danger icon={<DeleteOutlined />} aria-label={d('options.remove', { n })} onClick={() => onChange(options.filter((_, j) => j !== i))} />
              </Space>
              {at(findings, `${path}/options/${i}/value`).map((f) => <div key={f.code} className="finding">{f.message}</div>)}
            </li>
          );
        })}
      </ol>
      <Button icon={<PlusOutlined />} onClick={() => onChange([...options, fresh()])}>{d('options.add')}</Button>
    </Prop>
  );
}
