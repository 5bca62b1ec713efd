// A dashboard of `/apps/:app/dashboards/:dashboard`: its shared filters at the top (in the
// URL, so a link or a reload keeps them), its cards on a grid of twelve columns, each
// drawn as its report's chart says; a card that failed says why in its place while the
// others show, and a bucket, row or cell opens the record list filtered to it.
import { useContext } from 'react';
import { Alert, Card as Panel, Empty, Input, Select, Skeleton, Space, Typography } from 'antd';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { answered, problemOf, queries, type Key } from '../../api/queries';
import { ShellContext } from '../../ui/contexts';
import { LanguageContext, label, useT } from '../../i18n';
import { refusalText } from '../../ui/problems';
import { paths, useNavigate, type Params } from '../../ui/router';
import { CardView } from './CardView';
import type { Board, Card, Parameter } from './answer';
import './dashboard.css';

/// One grid row's height in pixels.
const ROW = 64;

export default function Dashboard({ params: { app = '', dashboard = '' } }: { params: Params }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const go = useNavigate();
  const given = Object.fromEntries(new URLSearchParams(window.location.search));
  const board = useQuery({
    queryKey: ['/api/v1/apps/{app}/dashboards/{dashboard}', { app, dashboard, ...given }] as Key,
    queryFn: async () =>
      answered(await api.GET('/api/v1/apps/{app}/dashboards/{dashboard}', {
        params: { path: { app, dashboard } },
        // The shared parameters, whichever the dashboard declares.
        querySerializer: () => new URLSearchParams(given).toString(),
      })) as Board,
    placeholderData: keepPreviousData,
  });
  function set(key: string, value: string | null) {
    const next = new URLSearchParams(window.location.search);
    if (value) next.set(key, value);
    else next.delete(key);
    const query = next.toString();
    go(`${paths.dashboard(app, dashboard)}${query ? `?${query}` : ''}`);
  }
  if (board.isError) {
    return <Alert type="error" role="alert" title={refusalText(problemOf(board.error), language)} />;
  }
  if (!board.data) return <Skeleton active />;
  const data = board.data;
  const height = Math.max(...data.cards.map((c) => c.y + c.h), 1);
  return (
    <div>
      <Space wrap align="center" style={{ marginBottom: 16, width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={1} className="page-title" style={{ margin: 0 }}>{label(data.label ?? undefined, language) || data.key}</Typography.Title>
        <Space wrap>
          {data.parameters.map((p) => <Filter key={p.key} parameter={p} value={given[p.key] ?? null} onChange={(v) => set(p.key, v)} />)}
        </Space>
      </Space>
      <div className="dashboard-grid" style={{ gridTemplateRows: `repeat(${height}, ${ROW}px)` }}>
        {data.cards.map((card, i) => (
          <CardPanel key={`${card.report}-${i}`} app={app} card={card} onDrill={(form, where) => go(`${paths.list(app, form)}?where=${encodeURIComponent(where)}`)} />
        ))}
      </div>
      {data.cards.length === 0 && <Empty description={t('dashboard.noCards')} />}
    </div>
  );
}

/// A shared filter: a select's options, or any value typed.
function Filter({ parameter, value, onChange }: { parameter: Parameter; value: string | null; onChange: (v: string | null) => void }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const name = label(parameter.label ?? undefined, language) || parameter.key;
  const options = parameter.options.map((o) => ({ value: o.key, label: label(o.label, language) }));
  const commit = (typed: string) => {
    const next = typed.trim() || null;
    if (next !== value) onChange(next);
  };
  return (
    <Space>
      <Typography.Text id={`filter-${parameter.key}`}>{name}</Typography.Text>
      {options.length > 0 ? (
        <Select aria-labelledby={`filter-${parameter.key}`} allowClear placeholder={t('dashboard.all')} style={{ minWidth: 160 }}
          value={value} options={options} onChange={(v: string | undefined) => onChange(v ?? null)} showSearch={{ optionFilterProp: 'label' }} />
      ) : (
        <Input aria-labelledby={`filter-${parameter.key}`} allowClear placeholder={t('dashboard.all')} style={{ width: 160 }} defaultValue={value ?? ''}
          onPressEnter={(e) => commit(e.currentTarget.value)} onBlur={(e) => commit(e.currentTarget.value)} />
      )}
    </Space>
  );
}

interface Opened {
  form: string;
  platform?: string | null;
}

function CardPanel({ app, card, onDrill }: { app: string; card: Card; onDrill: (form: string, where: string) => void }) {
  const go = useNavigate();
  const shell = useContext(ShellContext);
  const client = useQueryClient();
  // A listed row opens its task over the dashboard, or its record.
  async function onOpen(report: Opened, id: number) {
    if (report.platform === 'tasks') {
      const task = await client.fetchQuery(queries.task(id)).catch(() => null);
      if (task) shell?.openTask(task);
    } else go(paths.record(app, report.form, id));
  }
  const t = useT();
  const language = useContext(LanguageContext);
  const title = label(card.label ?? undefined, language) || card.report;
  // The card's report as a file, with the parameters it was computed with.
  const download = (format: string) => {
    const given = new URLSearchParams({ format });
    for (const p of card.answer?.report.parameters ?? []) if (p.value) given.set(p.key, p.value);
    return `/api/v1/apps/${encodeURIComponent(app)}/reports/${encodeURIComponent(card.report)}?${given.toString()}`;
  };
  const place = { gridColumn: `${card.x + 1} / span ${card.w}`, gridRow: `${card.y + 1} / span ${card.h}` };
  return (
    <Panel size="small" title={<span role="heading" aria-level={2}>{title}</span>} style={place} className="dashboard-card"
      extra={card.answer ? (
        <Space size="small">
          <a href={download('csv')} download aria-label={`${t('dashboard.export')}: ${title}`}>CSV</a>
          <a href={download('xlsx')} download aria-label={`${t('dashboard.exportXlsx')}: ${title}`}>XLSX</a>
        </Space>
      ) : null}
      styles={{ body: { height: 'calc(100% - 38px)' } }}>
      {/* A card's content scrolls within it, by keyboard too. */}
      <div className="card-scroll" tabIndex={0} role="region" aria-label={title}>
      {card.problem ? (
        <Alert type="warning" showIcon title={t('dashboard.failed')} description={refusalText(card.problem, language)} />
      ) : card.answer ? (
        <CardView answer={card.answer} language={language} title={title} onDrill={(where) => card.answer && onDrill(card.answer.report.form, where)}
          onOpen={(id) => card.answer && onOpen(card.answer.report, id)} />
      ) : null}
      </div>
    </Panel>
  );
}
