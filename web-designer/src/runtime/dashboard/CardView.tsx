// A card's content as its report's chart says: a KPI (its figure and the measure set
// beside it), a table, a pivot table with its totals, or a chart; every bucket, row and
// cell drills to its records.
import { Button, Statistic, Table, Typography } from 'antd';
import type { Answer, Column } from './answer';
import { keyText, valueText } from './answer';
import { Chart } from './Chart';
import { useContext } from 'react';
import { label, useT, type Language } from '../../i18n';
import { ZoneContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';

interface Props {
  answer: Answer;
  language: Language;
  title: string;
  /// Opens the records of a condition.
  onDrill: (where: string) => void;
  /// Opens one listed row: its record, or its task.
  onOpen: (id: number) => void;
}

export function CardView({ answer, language, title, onDrill, onOpen }: Props) {
  const kind = (answer.report.chart as { type?: string } | null)?.type ?? 'table';
  const drillRow = (i: number) => {
    const where = answer.rows[i]?.where;
    if (where) onDrill(where);
  };
  if (kind === 'list') return <Listed answer={answer} language={language} onOpen={onOpen} />;
  if (kind === 'kpi') return <Kpi answer={answer} language={language} />;
  if (kind === 'pivot' && answer.pivot) return <Pivot answer={answer} language={language} onDrill={onDrill} />;
  if (kind === 'table' || answer.rows.length === 0) return <Rows answer={answer} language={language} onDrill={drillRow} />;
  return <Chart answer={answer} kind={kind} language={language} title={title} onDrill={drillRow} />;
}

const name = (c: Column | undefined, language: Language) => (c ? label(c.label ?? undefined, language) || c.key : '');

/// A list report's rows: each field in words, the first opening the row's record or task.
function Listed({ answer, language, onOpen }: { answer: Answer; language: Language; onOpen: (id: number) => void }) {
  const t = useT();
  const zone = useContext(ZoneContext);
  const shown = (c: Column, value: string | null | undefined) => {
    if (value === null || value === undefined) return '—';
    if (c.type === 'instant') return formatInstant(value, language, zone, { sayZone: false });
    if (c.type === 'decimal') return valueText(c, value);
    if (c.type === 'boolean') return value === 'true' ? t('dashboard.yes') : t('dashboard.no');
    return keyText(c, value, language, '—');
  };
  // The first field takes the room left (its text wraps); the others keep theirs, whole.
  const columns = answer.columns.map((c, i) => ({
    key: c.key,
    title: name(c, language),
    align: c.type === 'decimal' ? ('right' as const) : ('left' as const),
    ...(i === 0 ? { width: '100%' } : {}),
    render: (_: unknown, row: { i: number }) => {
      const r = answer.rows[row.i] as (typeof answer.rows)[number] & { id?: number | null };
      const text = shown(c, r.keys[i]);
      return i === 0 && typeof r.id === 'number' ? <Button type="link" size="small" onClick={() => onOpen(r.id as number)}><span>{text}</span></Button> : text;
    },
  }));
  return <Table className="dashboard-list" size="small" pagination={false} rowKey="i" columns={columns} dataSource={answer.rows.map((_, i) => ({ i }))} locale={{ emptyText: t('dashboard.nothing') }} />;
}

function Kpi({ answer, language }: { answer: Answer; language: Language }) {
  const measures = answer.columns.filter((c) => c.role === 'measure');
  const compare = (answer.report.chart as { compare?: string | null } | null)?.compare;
  const shown = measures.map((c, i) => ({ c, i })).filter(({ c }) => c.key === compare || c === measures[0]);
  return (
    <div className="kpi">
      {shown.map(({ c, i }) => (
        <Statistic key={c.key} title={name(c, language)} value={valueText(c, answer.total[i])} />
      ))}
    </div>
  );
}

function Rows({ answer, language, onDrill }: { answer: Answer; language: Language; onDrill: (i: number) => void }) {
  const t = useT();
  const dims = answer.columns.filter((c) => c.role === 'dimension');
  const columns = answer.columns.map((c, i) => {
    const dimension = c.role === 'dimension';
    const index = dimension ? i : i - dims.length;
    return {
      key: c.key,
      title: name(c, language),
      align: dimension ? ('left' as const) : ('right' as const),
      render: (_: unknown, row: { i: number }) => {
        const r = answer.rows[row.i];
        if (!dimension) return valueText(c, r?.values[index]);
        const text = r?.others ? t('dashboard.others') : keyText(c, r?.keys[index], language, t('dashboard.empty'));
        return index === 0 && r?.where ? <Button type="link" size="small" onClick={() => onDrill(row.i)}>{text}</Button> : text;
      },
    };
  });
  return (
    <Table size="small" pagination={false} rowKey="i" columns={columns} dataSource={answer.rows.map((_, i) => ({ i }))}
      locale={{ emptyText: t('dashboard.noRows') }}
      summary={() => (
        <Table.Summary.Row>
          {answer.columns.map((c, i) => (
            <Table.Summary.Cell key={c.key} index={i} align={c.role === 'dimension' ? 'left' : 'right'}>
              {i === 0 ? <Typography.Text strong>{t('dashboard.total')}</Typography.Text> : c.role === 'measure' ? valueText(c, answer.total[i - dims.length]) : ''}
            </Table.Summary.Cell>
          ))}
        </Table.Summary.Row>
      )}
    />
  );
}

interface PivotShape {
  rows: (string | null)[][];
  columns: (string | null)[][];
  cells: ((string | null)[] | null)[][];
  row_totals: (string | null)[][];
  column_totals: (string | null)[][];
  total: (string | null)[];
  row_where?: (string | null)[];
  column_where?: (string | null)[];
}

/// The rows down, the columns across, the first measure in each cell, totals at the ends.
function Pivot({ answer, language, onDrill }: { answer: Answer; language: Language; onDrill: (where: string) => void }) {
  const t = useT();
  const pivot = answer.pivot as unknown as PivotShape;
  const dims = answer.columns.filter((c) => c.role === 'dimension');
  const across = dims.filter((d) => answer.report.across.includes(d.key));
  const down = dims.filter((d) => !across.includes(d));
  const measure = answer.columns.find((c) => c.role === 'measure');
  const words = (keys: (string | null)[], which: Column[]) => keys.map((k, i) => keyText(which[i], k, language, t('dashboard.empty'))).join(' · ');
  const both = (r: number, c: number) => {
    const [a, b] = [pivot.row_where?.[r], pivot.column_where?.[c]];
    return a && b ? `${a} and ${b}` : null;
  };
  const columns = [
    { key: 'row', title: down.map((d) => name(d, language)).join(' · '), render: (_: unknown, row: { r: number }) => words(pivot.rows[row.r] ?? [], down) },
    ...pivot.columns.map((keys, c) => ({
      key: `c${c}`, title: words(keys, across), align: 'right' as const,
      render: (_: unknown, row: { r: number }) => {
        const cell = pivot.cells[row.r]?.[c];
        const where = both(row.r, c);
        const text = valueText(measure, cell?.[0] ?? null);
        return cell && where ? <Button type="link" size="small" onClick={() => onDrill(where)}>{text}</Button> : text;
      },
    })),
    { key: 'total', title: t('dashboard.total'), align: 'right' as const, render: (_: unknown, row: { r: number }) => valueText(measure, pivot.row_totals[row.r]?.[0]) },
  ];
  return (
    <Table size="small" pagination={false} rowKey="r" columns={columns} dataSource={pivot.rows.map((_, r) => ({ r }))}
      summary={() => (
        <Table.Summary.Row>
          <Table.Summary.Cell index={0}><Typography.Text strong>{t('dashboard.total')}</Typography.Text></Table.Summary.Cell>
          {pivot.column_totals.map((total, c) => (
            <Table.Summary.Cell key={c} index={c + 1} align="right">{valueText(measure, total[0])}</Table.Summary.Cell>
          ))}
          <Table.Summary.Cell index={pivot.columns.length + 1} align="right">{valueText(measure, pivot.total[0])}</Table.Summary.Cell>
        </Table.Summary.Row>
      )}
    />
  );
}
