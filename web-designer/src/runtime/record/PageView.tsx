import { useContext } from 'react';
import { Button, Card, Col, Empty, List, Row as Line, Statistic, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import type { FieldMeta, Row, Schemas, SectionItem } from '../../api/client';
import { alignOf, cell } from '../../fields/kinds';
import { LanguageContext, label, useNamed, useT } from '../../i18n';
import { useForm, useForms, ZoneContext } from '../../ui/contexts';
import { formatDecimal, formatInstant } from '../../ui/format';
import { messageText } from '../../ui/messages';
import { follow, paths, useNavigate } from '../../ui/router';

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
export function SectionView({ app, section, parent }: { app: string; section: Section; parent: { form: string; id: number } }) {
  const t = useT();
  const named = useNamed();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const forms = useForms(app);
  const go = useNavigate();
  const target = useForm(app, section.form ?? undefined);
  const items = section.items;
  const shown = items.length < section.total ? <Typography.Text type="secondary">{t('page.shownOf', { shown: items.length, total: section.total })}</Typography.Text> : null;
  if (section.kind === 'related' && section.form) {
    // A related section's items are records of the related form.
    const rows = items.filter(isRecord);
    const metas = target?.fields ?? [];
    const columns = (section.columns ?? []).map((c) => metas.find((m) => m.key === c.key)).filter((m): m is FieldMeta => m !== undefined);
    // A related record is started from here already linked to this one (a follow-up for this
    // customer), where the reader may create them.
    const link = metas.find((m) => m.type === 'relation' && m.form === parent.form && m.mode === 'visible');
    const creates = target && target.operations.includes('create') && link ? { target, link } : null;
    return (
      <>
        {creates && (
          <Button icon={<PlusOutlined />} style={{ marginBottom: 8 }}
            onClick={() => go(`${paths.create(app, creates.target.key)}?${encodeURIComponent(creates.link.key)}=${parent.id}`)}>
            {t('page.newRelated', { form: label(creates.target.label, language) })}
          </Button>
        )}
        <Table<Row> rowKey="id" size="small" pagination={false} dataSource={rows} scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('list.empty') }}
          onRow={(row) => ({ onDoubleClick: () => target && go(paths.record(app, target.key, row.id)) })}
          columns={columns.map((f, i) => ({
            key: f.key,
            title: label(f.label, language),
            align: alignOf(f),
            render: (_: unknown, row: Row) => i === 0 && target ? (
              <a {...follow(go, paths.record(app, target.key, row.id))}>{cell(f, row, { language, zone, forms }) || `#${row.id}`}</a>
            ) : cell(f, row, { language, zone, forms }),
          }))} />
        {shown}
      </>
    );
  }
  if (items.length === 0) return <Empty description={t('list.empty')} />;
  const describe = (item: SectionItem) => {
    if (section.kind === 'tasks') return <>{String(item.title)} {item.overdue ? <Tag color="red">{t('inbox.overdue')}</Tag> : null}{typeof item.due_at === 'string' && <Typography.Text type="secondary"> {t('inbox.due')} {formatInstant(item.due_at, language, zone)}</Typography.Text>}</>;
    if (section.kind === 'messages') {
      return <><Tag>{named('channel', item.channel)}</Tag> {messageText(item.body, language)} <Tag>{named('status.message', item.state)}</Tag>{typeof item['created_at'] === 'string' && <Typography.Text type="secondary"> {formatInstant(item['created_at'], language, zone)}</Typography.Text>}</>;
    }
    if (section.kind === 'processes') return <>{label(item.label, language) || String(item.flow)} <Tag>{named('status.process', item.status)}</Tag></>;
    return <>{t('timeline.firing', { rule: label(item.label, language) || String(item.rule) })} <Typography.Text type="secondary">{typeof item.fired_at === 'string' ? formatInstant(item.fired_at, language, zone) : ''}</Typography.Text></>;
  };
  return (
    <>
      <List size="small" bordered dataSource={items} renderItem={(item) => <List.Item>{describe(item)}</List.Item>} />
      {shown}
    </>
  );
}

/// Whether a section's item is a record (it has its id and version).
function isRecord(item: SectionItem): item is Row {
  return typeof item.id === 'number' && typeof item['_version'] === 'number';
}
