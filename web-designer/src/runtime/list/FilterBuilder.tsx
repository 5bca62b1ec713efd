import { useContext, useEffect, useState } from 'react';
import { Button, Input, Segmented, Select, Space, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import type { FieldMeta } from '../../api/client';
import { kindOf } from '../../fields/kinds';
import { type Clause, type Op, opsFor, whereText } from '../../fields/where';
import { LanguageContext, label, useT } from '../../i18n';
import { byteIndex, type WhereProblem, whereProblemText } from '../../ui/problems';

export type { WhereProblem } from '../../ui/problems';
import { ZoneContext } from '../../ui/contexts';

/// The filter builder: conditions of a field, an operator and a value fitting the field's
/// type, joined by and/or into the list's `where` text, which power users may also edit
/// by hand; the server's error is shown under the text with the wrong part marked.
export function FilterBuilder({ app, fields, applied, problem, onApply }: {
  app: string; fields: FieldMeta[]; applied: string; problem: WhereProblem | null; onApply: (where: string) => void;
}) {
  const t = useT();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const [clauses, setClauses] = useState<Clause[]>([]);
  const [join, setJoin] = useState<'and' | 'or'>('and');
  const [text, setText] = useState(applied);
  // Text edited by hand is kept: conditions built afterwards are added to it (`base`).
  const [byHand, setByHand] = useState(false);
  const [base, setBase] = useState('');
  useEffect(() => setText(applied), [applied]);

  function change(next: Clause[], nextJoin = join) {
    const hand = byHand ? text.trim() : base;
    if (byHand) {
      setBase(hand);
      setByHand(false);
    }
    setClauses(next);
    setJoin(nextJoin);
    const built = whereText(fields, next, nextJoin, zone);
    setText(hand && built ? `(${hand}) and (${built})` : hand || built);
  }
  const set = (i: number, patch: Partial<Clause>) => change(clauses.map((c, j) => (j === i ? { ...c, ...patch } : c)));

  /// A condition's value, typed in the input its field's kind gives (none for `is empty`).
  function valueInput(field: FieldMeta, clause: Clause, i: number, name: string) {
    if (clause.op === 'empty' || clause.op === 'filled') return null;
    const props = {
      id: `filter-value-${i}`,
      label: name,
      value: typeof clause.value === 'boolean' ? String(clause.value) : (clause.value ?? null),
      onChange: (value: string | number | null) => set(i, { value }),
      ctx: { app, language, zone, disabled: false },
    };
    const kind = kindOf(field);
    return kind.filterInput ? kind.filterInput(field, props) : null;
  }

  const [start, end] = (problem?.span ?? [0, 0]).map((b) => byteIndex(applied, b)) as [number, number];
  return (
    <section className="filter-builder" aria-label={t('filter.title')}>
      {clauses.map((clause, i) => {
        const field = fields.find((f) => f.key === clause.field) ?? fields[0];
        if (!field) return null;
        const number = i + 1;
        return (
          <Space key={i} wrap className="filter-row" role="group" aria-label={t('filter.condition', { number })}>
            <Select aria-label={t('filter.field', { number })} style={{ minWidth: 160 }} value={field.key} showSearch={{ optionFilterProp: 'label' }}
              options={fields.map((f) => ({ value: f.key, label: label(f.label, language) }))}
              onChange={(key: string) => {
                const next = fields.find((f) => f.key === key);
                set(i, { field: key, op: next ? (opsFor(next)[0] ?? 'eq') : 'eq', value: null });
              }} />
            <Select aria-label={t('filter.operator', { number })} style={{ minWidth: 120 }} value={clause.op} showSearch={{ optionFilterProp: 'label' }}
              options={opsFor(field).map((op) => ({ value: op, label: t(`filter.op.${op}` as 'filter.op.eq') }))}
              onChange={(op: Op) => set(i, { op })} />
            {valueInput(field, clause, i, t('filter.value', { number }))}
            <Button icon={<DeleteOutlined />} aria-label={t('filter.remove', { number })} onClick={() => change(clauses.filter((_, j) => j !== i))} />
          </Space>
        );
      })}
      <Space wrap>
        <Button icon={<PlusOutlined />} disabled={fields.length === 0}
          onClick={() => { const f = fields[0]; if (f) change([...clauses, { field: f.key, op: opsFor(f)[0] ?? 'eq', value: null }]); }}>
          {t('filter.add')}
        </Button>
        {clauses.length > 1 && (
          <Segmented aria-label={t('filter.join')} value={join} onChange={(v) => change(clauses, v as 'and' | 'or')}
            options={[{ value: 'and', label: t('filter.and') }, { value: 'or', label: t('filter.or') }]} />
        )}
      </Space>
      <label className="filter-text">
        <Typography.Text type="secondary">{t('filter.text')}</Typography.Text>
        <Input.TextArea aria-label={t('filter.text')} autoSize={{ minRows: 1, maxRows: 6 }} value={text} spellCheck={false} className="code"
          status={problem ? 'error' : ''} onChange={(e) => { setText(e.target.value); setByHand(true); }} />
      </label>
      {problem && (
        <div role="alert" className="filter-problem">
          <Typography.Text type="danger">{whereProblemText(problem, applied, language)}</Typography.Text>
          {problem.span && (
            <pre className="code" aria-label={t('filter.at')}>
              {applied.slice(0, start)}<mark>{applied.slice(start, Math.max(end, start + 1)) || ' '}</mark>{applied.slice(Math.max(end, start + 1))}
            </pre>
          )}
        </div>
      )}
      <Space>
        <Button type="primary" onClick={() => onApply(text.trim())}>{t('filter.apply')}</Button>
        <Button onClick={() => { setClauses([]); setText(''); setBase(''); setByHand(false); onApply(''); }}>{t('filter.clear')}</Button>
      </Space>
    </section>
  );
}
