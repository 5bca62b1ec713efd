import { useContext, useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Badge, Button, Input, Popover, Space, Table, Typography } from 'antd';
import { FilterOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import type { FieldMeta, Row, WorkspaceForm } from '../../api/client';
import { problemOf, rowsOf, useRecords } from '../../api/queries';
import { alignOf, cell, kindOf } from '../../fields/kinds';
import { LanguageContext, label, useT } from '../../i18n';
import { useForm, useForms, ZoneContext } from '../../ui/contexts';
import { refusalText, type WhereProblem, whereProblemText } from '../../ui/problems';
import { follow, paths, useNavigate, type Params } from '../../ui/router';
import NotFound from '../NotFound';
import { BulkActions } from './BulkActions';
import { ColumnChooser } from './ColumnChooser';
import { FilterBuilder } from './FilterBuilder';
import { initialQuery, listedFields, params, type Query } from './query';
import { Views, type ViewState } from './Views';

const WIDTH = 180;
const VIRTUAL_FROM = 200;
// How near the end of the loaded rows a scroll asks for the next page, in pixels.
const AHEAD = 600;

/// The records screen of `/apps/:app/forms/:form`.
export default function RecordListScreen({ params: { app = '', form = '' } }: { params: Params }) {
  const found = useForm(app, form);
  return found ? <RecordList app={app} form={found} /> : <NotFound />;
}

/// A form's records as the user may see them: a page at a time with the API's cursor
/// (only the rows on screen are rendered), sorted, filtered and searched by the server,
/// the columns and the user's saved views chosen here; nothing is cut short without
/// saying so, and rows selected are changed, deleted or exported together.
function RecordList({ app, form }: { app: string; form: WorkspaceForm }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const forms = useForms(app);
  const go = useNavigate();
  const listed = listedFields(form);
  // A dashboard's drill-down opens the list with its condition (`?where=`), shown as the filter.
  const initial = { ...initialQuery(form), where: new URLSearchParams(window.location.search).get('where') ?? '' };
  const [query, setQuery] = useState<Query>(initial);
  // What the server is asked: the query as last applied (typing in the search box waits).
  const [asked, setAsked] = useState<Query>(initial);
  const [selected, setSelected] = useState<number[]>([]);
  const typing = useRef<number | undefined>(undefined);
  const fields = query.columns.map((k) => listed.find((f) => f.key === k)).filter((f): f is FieldMeta => f !== undefined);
  const records = useRecords(app, form.key, params(asked));
  const rows = rowsOf(records.data?.pages);
  const total = records.data?.pages[0]?.total ?? null;
  const refusal = records.isError ? problemOf(records.error) : undefined;
  const first = refusal?.errors?.[0];
  // A `where` the server could not read is shown at the filter, with the span of the mistake.
  const whereProblem: WhereProblem | null = refusal && (refusal.status === 422 || first?.path === '/where')
    ? { code: first?.code, message: first?.message ?? refusal.detail ?? '', span: first?.span?.length === 2 ? [first.span[0] ?? 0, first.span[1] ?? 0] : undefined }
    : null;
  const problem = records.isError && !whereProblem ? refusalText(refusal, language) : null;

  function ask(q: Query) {
    setQuery(q);
    setAsked(q);
    setSelected([]);
  }

  useEffect(() => () => window.clearTimeout(typing.current), []);

  // The search box asks the server once typing pauses, not per keystroke.
  function searchFor(text: string) {
    const q = { ...query, search: text };
    setQuery(q);
    window.clearTimeout(typing.current);
    typing.current = window.setTimeout(() => ask(q), 300);
  }

  // The columns change with what is shown and how it is sorted, not with each page loaded:
  // a page more re-renders its rows, not the table's head.
  const titleKey = form.title_field ?? fields[0]?.key;
  const columns = useMemo(() => fields.map((f) => ({
    key: f.key,
    width: WIDTH,
    // The column naming each row stays in view as the others scroll (a tablet).
    ...(f.key === titleKey ? { fixed: 'left' as const } : {}),
    title: label(f.label, language),
    sorter: kindOf(f).sortable,
    sortOrder: query.sort === f.key ? ('ascend' as const) : query.sort === `-${f.key}` ? ('descend' as const) : null,
    align: alignOf(f),
    render: (_: unknown, row: Row) =>
      f.key === titleKey ? (
        <a {...follow(go, paths.record(app, form.key, row.id))}>{cell(f, row, { language, zone, forms }) || `#${row.id}`}</a>
      ) : cell(f, row, { language, zone, forms }),
  })), [query.columns.join(','), query.sort, language, zone, form.key]);

  /// Once the rows are many (virtual), scrolling near the end of them loads the next page.
  function scrolled(e: React.UIEvent<HTMLDivElement>) {
    const el = e.currentTarget;
    if (records.hasNextPage && !records.isFetchingNextPage && el.scrollHeight - el.scrollTop - el.clientHeight < AHEAD) void records.fetchNextPage();
  }

  const filters = query.where ? 1 : 0;
  const view: ViewState = { where: query.where || null, search: query.search || null, sort: query.sort, columns: query.columns };
  return (
    <section aria-labelledby="list-title">
      <Space className="list-head">
        <Typography.Title level={1} className="page-title" id="list-title">{label(form.label, language)}</Typography.Title>
        {form.operations.includes('create') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => go(paths.create(app, form.key))}>{t('list.new')}</Button>
        )}
        {(form.operations.includes('create') || form.operations.includes('update')) && (
          <Button icon={<UploadOutlined />} onClick={() => go(paths.importFile(app, form.key))}>{t('import.open')}</Button>
        )}
      </Space>
      <Space wrap className="list-tools">
        <Input.Search className="list-search" allowClear value={query.search} aria-label={t('list.search')} placeholder={t('list.search')}
          onChange={(e) => searchFor(e.target.value)} onSearch={(text) => { window.clearTimeout(typing.current); ask({ ...query, search: text }); }} />
        <Popover trigger="click" placement="bottomLeft" content={
          <FilterBuilder app={app} fields={listed.filter((f) => kindOf(f).ops.length > 0)} applied={query.where} problem={whereProblem} onApply={(where) => ask({ ...query, where })} />
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
      {whereProblem && <Alert type="error" role="alert" title={t('filter.refused', { message: whereProblemText(whereProblem, query.where, language) })} style={{ marginBottom: 12 }} />}
      {problem && <Alert role="alert" type="error" title={problem} />}
      <BulkActions app={app} form={form} fields={listed} selected={selected} query={params(query)}
        onDone={() => setSelected([])} />
      <Table<Row>
        rowKey="id"
        size="middle"
        // Only the rows on screen are rendered once many are loaded (a few pages in).
        virtual={rows.length > VIRTUAL_FROM}
        loading={records.isFetching && rows.length === 0}
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
        {records.hasNextPage && <Button onClick={() => void records.fetchNextPage()} loading={records.isFetchingNextPage}>{t('list.more')}</Button>}
      </div>
    </section>
  );
}
