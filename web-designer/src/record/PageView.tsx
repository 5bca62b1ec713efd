import { useContext, useEffect, useState } from 'react';
import { Card, Col, Empty, List, Row as Line, Statistic, Table, Tag, Typography } from 'antd';
import { api, type FieldMeta, type Schemas } from '../api/client';
import { formatDecimal, formatInstant } from '../format';
import { LanguageContext, label, useNamed, useT } from '../i18n';
import { WorkspaceContext, ZoneContext } from '../workspace';
import type { Page } from '../route';
import { cell, type Row } from './cells';

type RecordPage = Schemas['RecordPage'];
type Section = Schemas['PageSection'];

/// The summary figures at the top of a record page, each from the server (exact decimals
/// grouped at the figure's scale); one the reader may not see says so instead of a number.
export function Figures({ page }: { page: RecordPage }) {
  const t = useT();
  const language = useContext(LanguageContext);
  return (
    <Line gutter={[16, 16]} className="figures" role="list" aria-label={t('page.summary')}>
      {page.summary.map((f) => {
        const value = f.value === null || f.value === undefined ? '—' : f.scale !== null && f.scale !== undefined ? formatDecimal(String(f.value), f.scale) : String(f.value);
        return (
          <Col key={f.key} xs={12} md={8} xl={6} xxl={4} role="listitem">
            <Card size="small">
              <Statistic title={label(f.label, language)} value={!f.readable ? t('page.notYours') : f.error ? t('page.overflow') : value} styles={{ content: { fontSize: 20, fontVariantNumeric: 'tabular-nums' } }} />
            </Card>
          </Col>
        );
      })}
    </Line>
  );
}

/// One section of a record page: related records with the columns the page names (their
/// labels and formats from the related form's metadata), or the record's tasks,
/// processes or alerts; the count of all of them is said, so none is cut short silently.
export function SectionView({ app, section, go }: { app: string; section: Section; go: (page: Page) => void }) {
  const t = useT();
  const named = useNamed();
  const language = useContext(LanguageContext);
  const workspace = useContext(WorkspaceContext);
  const zone = useContext(ZoneContext);
  const items = section.items as Row[];
  const shown = items.length < section.total ? <Typography.Text type="secondary">{t('page.shownOf', { shown: items.length, total: section.total })}</Typography.Text> : null;
  if (section.kind === 'related' && section.form) {
    const target = workspace?.apps.find((a) => a.key === app)?.forms.find((f) => f.key === section.form);
    const metas = (target?.fields ?? []) as unknown as FieldMeta[];
    const columns = (section.columns ?? []).map((c) => metas.find((m) => m.key === c.key)).filter((m): m is FieldMeta => m !== undefined);
    return (
      <>
        <Table<Row> rowKey="id" size="small" pagination={false} dataSource={items} scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('list.empty') }}
          onRow={(row) => ({ onDoubleClick: () => target && go({ kind: 'record', app, form: target.key, id: row.id }) })}
          columns={columns.map((f, i) => ({
            key: f.key,
            title: label(f.label, language),
            align: f.type === 'decimal' || f.type === 'integer' ? ('right' as const) : ('left' as const),
            render: (_: unknown, row: Row) => i === 0 && target ? (
              <a href={`/apps/${app}/forms/${target.key}/records/${row.id}`} onClick={(e) => { e.preventDefault(); go({ kind: 'record', app, form: target.key, id: row.id }); }}>
                {cell(f, row, language, zone) || `#${row.id}`}
              </a>
            ) : cell(f, row, language, zone),
          }))} />
        {shown}
      </>
    );
  }
  if (items.length === 0) return <Empty description={t('list.empty')} />;
  const describe = (item: Row) => {
    if (section.kind === 'tasks') return <>{String(item.title)} {item.overdue ? <Tag color="red">{t('inbox.overdue')}</Tag> : null}{typeof item.due_at === 'string' && <Typography.Text type="secondary"> {t('inbox.due')} {formatInstant(item.due_at, language, zone)}</Typography.Text>}</>;
    if (section.kind === 'processes') return <>{label(item.label as Record<string, string> | undefined, language) || String(item.flow)} <Tag>{named('status.process', item.status)}</Tag></>;
    return <>{t('timeline.firing', { rule: label(item.label as Record<string, string> | undefined, language) || String(item.rule) })} <Typography.Text type="secondary">{typeof item.fired_at === 'string' ? formatInstant(item.fired_at, language, zone) : ''}</Typography.Text></>;
  };
  return (
    <>
      <List size="small" bordered dataSource={items} renderItem={(item) => <List.Item>{describe(item)}</List.Item>} />
      {shown}
    </>
  );
}

/// A record page laid out in the app's metadata (`pages`), for the record `id`.
export function usePageView(app: string, page: string | null | undefined, id: number | null): RecordPage | null {
  const [body, setBody] = useState<RecordPage | null>(null);
  useEffect(() => {
    setBody(null);
    if (!page || id === null) return;
    void api.GET('/api/v1/apps/{app}/pages/{page}/records/{id}', { params: { path: { app, page, id } } }).then(({ data }) => {
      if (data) setBody(data);
    });
  }, [app, page, id]);
  return body;
}
