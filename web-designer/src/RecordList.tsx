import { useContext, useEffect, useRef, useState } from 'react';
import { Alert, Button, Input, Space, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { Page } from './route';
import { api, type FieldMeta, type WorkspaceForm } from './api/client';
import { LanguageContext, label, useT } from './i18n';
import { cell, LISTED, type Row } from './record/cells';

const PAGE = 50;

/// A form's records as the user may see them, a page at a time with the API's cursor,
/// the columns from the form's metadata; nothing is cut short without saying so.
export function RecordList({ app, form, go }: { app: string; form: WorkspaceForm; go: (page: Page) => void }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const fields = (form.fields as unknown as FieldMeta[]).filter((f) => LISTED.has(f.type)).slice(0, 10);
  const [rows, setRows] = useState<Row[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  // The server sorts (`sort=aum` or `-aum`); the cursor pages follow that order.
  const [sort, setSort] = useState<string | null>(null);
  // The search box asks the server once typing pauses, not per keystroke.
  const [search, setSearch] = useState('');
  const typing = useRef<number | undefined>(undefined);

  async function page(after: string | null, order: string | null = sort, text: string = search) {
    setLoading(true);
    const query: Record<string, string | number> = { limit: PAGE, fields: fields.map((f) => f.key).join(',') };
    if (after) query.after = after;
    if (order) query.sort = order;
    if (text.trim()) query.search = text.trim();
    const { data, error } = await api.GET('/api/v1/apps/{app}/forms/{form}/records', {
      params: { path: { app, form: form.key }, query },
    });
    setLoading(false);
    if (!data) {
      setProblem(t('error.generic', { detail: (error as { detail?: string } | undefined)?.detail ?? '' }));
      return;
    }
    const body = data as unknown as { items: Row[]; next?: string | null };
    setRows((before) => (after ? [...before, ...body.items] : body.items));
    setNext(body.next ?? null);
  }

  useEffect(() => {
    setRows([]);
    setSort(null);
    setSearch('');
    void page(null, null, '');
    return () => window.clearTimeout(typing.current);
  }, [app, form.key]);

  function searchFor(text: string) {
    setSearch(text);
    window.clearTimeout(typing.current);
    typing.current = window.setTimeout(() => void page(null, sort, text), 300);
  }

  return (
    <section aria-labelledby="list-title">
      <Space className="list-head">
        <Typography.Title level={3} id="list-title">
          {label(form.label, language)}
        </Typography.Title>
        {form.operations.includes('create') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => go({ kind: 'new', app, form: form.key })}>
            {t('list.new')}
          </Button>
        )}
      </Space>
      <Input.Search className="list-search" allowClear value={search} aria-label={t('list.search')} placeholder={t('list.search')}
        onChange={(e) => searchFor(e.target.value)} onSearch={(text) => { window.clearTimeout(typing.current); void page(null, sort, text); }} />
      {problem && <Alert role="alert" type="error" title={problem} />}
      <Table<Row>
        rowKey="id"
        size="middle"
        loading={loading}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content' }}
        onChange={(_, __, sorter) => {
          const one = Array.isArray(sorter) ? sorter[0] : sorter;
          const order = one?.order && one.columnKey ? `${one.order === 'descend' ? '-' : ''}${String(one.columnKey)}` : null;
          setSort(order);
          void page(null, order);
        }}
        columns={fields.map((f) => ({
          key: f.key,
          title: label(f.label, language),
          sorter: f.type !== 'multi_select',
          sortOrder: sort === f.key ? ('ascend' as const) : sort === `-${f.key}` ? ('descend' as const) : null,
          align: f.type === 'decimal' || f.type === 'integer' ? ('right' as const) : ('left' as const),
          render: (_: unknown, row: Row) =>
            f.key === (form.title_field ?? fields[0]?.key) ? (
              <a href={`/apps/${app}/forms/${form.key}/records/${row.id}`}
                onClick={(e) => { e.preventDefault(); go({ kind: 'record', app, form: form.key, id: row.id }); }}>
                {cell(f, row, language) || `#${row.id}`}
              </a>
            ) : cell(f, row, language),
        }))}
        locale={{ emptyText: t('list.empty') }}
      />
      <div className="list-footer">
        <span>{t('list.shown', { count: rows.length })}</span>
        {next && (
          <Button onClick={() => void page(next)} loading={loading}>
            {t('list.more')}
          </Button>
        )}
      </div>
    </section>
  );
}
