import { useContext, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Badge, Button, Input, Popover, Space, Table, Typography } from 'antd';
import { FilterOutlined, PlusOutlined } from '@ant-design/icons';
import type { Page } from '../route';
import { type FieldMeta, type Problem, type WorkspaceForm } from '../api/client';
import { LanguageContext, label, useT } from '../i18n';
import { cell, type Row } from '../record/cells';
import { fetchPage, initialQuery, listedFields, pageQuery, params, type Query } from './firstPage';
import { refusalText } from '../record/problems';
import { BulkActions } from './BulkActions';
import { ColumnChooser } from './ColumnChooser';
import { FilterBuilder, type WhereProblem } from './FilterBuilder';
import { Views, type ViewState } from './Views';
import { ZoneContext } from '../workspace';

const WIDTH = 180;
const VIRTUAL_FROM = 200;
// How near the end of the loaded rows a scroll asks for the next page, in pixels.
const AHEAD = 600;

/// A form's records as the user may see them: a page at a time with the API's cursor
/// (only the rows on screen are rendered), sorted, filtered and searched by the server,
/// the columns and the user's saved views chosen here; nothing is cut short without
/// saying so, and rows selected are changed, deleted or exported together.
export function RecordList({ app, form, go }: { app: string; form: WorkspaceForm; go: (page: Page) => void }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const listed = listedFields(form);
  const initial = initialQuery(form);
  const [query, setQuery] = useState<Query>(initial);
  const [rows, setRows] = useState<Row[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [whereProblem, setWhereProblem] = useState<WhereProblem | null>(null);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState<number[]>([]);
  const typing = useRef<number | undefined>(undefined);
  const fields = query.columns.map((k) => listed.find((f) => f.key === k)).filter((f): f is FieldMeta => f !== undefined);
  const asking = useRef(false);

  async function page(after: string | null, q: Query = query) {
    asking.current = true;
    setLoading(true);
    setProblem(null);
    const { data, error } = await fetchPage(app, form.key, pageQuery(q, after));
    setLoading(false);
    asking.current = false;
    if (!data) {
      const refusal = error as Problem | undefined;
      if (refusal?.status === 422 || refusal?.errors?.[0]?.path === '/where') {
        const first = refusal?.errors?.[0];
        setWhereProblem({ message: first?.message ?? refusal?.detail ?? '', span: first?.span?.length === 2 ? [first.span[0] ?? 0, first.span[1] ?? 0] : undefined });
      } else {
        setProblem(refusalText(refusal, language));
      }
      return;
    }
    setWhereProblem(null);
    const body = data as unknown as { items: Row[]; next?: string | null; total?: number };
    setRows((before) => (after ? [...before, ...body.items] : body.items));
    setNext(body.next ?? null);
    if (!after) setTotal(body.total ?? null);
  }

  function ask(q: Query) {
    setQuery(q);
    setSelected([]);
    void page(null, q);
  }

  useEffect(() => {
    setRows([]);
    ask(initial);
    return () => window.clearTimeout(typing.current);
  }, [app, form.key]);

  // The search box asks the server once typing pauses, not per keystroke.
  function searchFor(text: string) {
    const q = { ...query, search: text };
    setQuery(q);
    window.clearTimeout(typing.current);
    typing.current = window.setTimeout(() => ask(q), 300);
  }

  // The columns change with what is shown and how it is sorted, not with each page loaded:
  // a page more re-renders its rows, not the table's head.
  const columns = useMemo(() => fields.map((f) => ({
    key: f.key,
    width: WIDTH,
    title: label(f.label, language),
    sorter: f.type !== 'multi_select',
    sortOrder: query.sort === f.key ? ('ascend' as const) : query.sort === `-${f.key}` ? ('descend' as const) : null,
    align: f.type === 'decimal' || f.type === 'integer' ? ('right' as const) : ('left' as const),
    render: (_: unknown, row: Row) =>
      f.key === (form.title_field ?? fields[0]?.key) ? (
        <a href={`/apps/${app}/forms/${form.key}/records/${row.id}`}
          onClick={(e) => { e.preventDefault(); go({ kind: 'record', app, form: form.key, id: row.id }); }}>
          {cell(f, row, language, zone) || `#${row.id}`}
        </a>
      ) : cell(f, row, language, zone),
  })), [query.columns.join(','), query.sort, language, zone, form.key]);

  /// Once the rows are many (virtual), scrolling near the end of them loads the next page.
  function scrolled(e: React.UIEvent<HTMLDivElement>) {
    const el = e.currentTarget;
    if (next && !asking.current && el.scrollHeight - el.scrollTop - el.clientHeight < AHEAD) void page(next);
  }

  const filters = query.where ? 1 : 0;
  const view: ViewState = { where: query.where || null, search: query.search || null, sort: query.sort, columns: query.columns };
  return (
    <section aria-labelledby="list-title">
      <Space className="list-head">
        <Typography.Title level={3} id="list-title">{label(form.label, language)}</Typography.Title>
        {form.operations.includes('create') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => go({ kind: 'new', app, form: form.key })}>{t('list.new')}</Button>
        )}
      </Space>
      <Space wrap className="list-tools">
        <Input.Search className="list-search" allowClear value={query.search} aria-label={t('list.search')} placeholder={t('list.search')}
          onChange={(e) => searchFor(e.target.value)} onSearch={(text) => { window.clearTimeout(typing.current); ask({ ...query, search: text }); }} />
        <Popover trigger="click" placement="bottomLeft" content={
          <FilterBuilder app={app} fields={listed} applied={query.where} problem={whereProblem} onApply={(where) => ask({ ...query, where })} />
        }>
          <Badge count={filters} size="small">
            <Button icon={<FilterOutlined />} danger={whereProblem !== null}>{t('filter.title')}</Button>
          </Badge>
        </Popover>
        <ColumnChooser fields={listed} shown={query.columns} onChange={(columns) => ask({ ...query, columns })} />
        <Views app={app} form={form.key} current={view} onChoose={(v) => ask(v ? {
          where: v.where ?? '', search: v.search ?? '', sort: v.sort ?? null, columns: v.columns?.length ? v.columns : initial.columns,
        } : initial)} />
      </Space>
      {whereProblem && <Alert type="error" role="alert" title={t('filter.refused', { message: whereProblem.message })} style={{ marginBottom: 12 }} />}
      {problem && <Alert role="alert" type="error" title={problem} />}
      <BulkActions app={app} form={form} fields={listed} selected={selected} query={params(query)}
        onDone={() => ask(query)} />
      <Table<Row>
        rowKey="id"
        size="middle"
        // Only the rows on screen are rendered once many are loaded (a few pages in).
        virtual={rows.length > VIRTUAL_FROM}
        loading={loading && rows.length === 0}
        dataSource={rows}
        {...(rows.length > VIRTUAL_FROM ? { onScroll: scrolled } : {})}
        pagination={false}
        scroll={rows.length > VIRTUAL_FROM ? { x: Math.max(fields.length * WIDTH, 600), y: 560 } : { x: 'max-content' }}
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys.map(Number)), columnWidth: 48 }}
        onChange={(_, __, sorter) => {
          const one = Array.isArray(sorter) ? sorter[0] : sorter;
          const order = one?.order && one.columnKey ? `${one.order === 'descend' ? '-' : ''}${String(one.columnKey)}` : null;
          ask({ ...query, sort: order });
        }}
        columns={columns}
        locale={{ emptyText: t('list.empty') }}
      />
      <div className="list-footer">
        <span>{total !== null ? t('list.shownOf', { count: rows.length, total }) : t('list.shown', { count: rows.length })}</span>
        {next && <Button onClick={() => void page(next)} loading={loading}>{t('list.more')}</Button>}
      </div>
    </section>
  );
}
