import { useContext } from 'react';
import { Alert, Tag, Timeline as AntTimeline, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { FieldMeta, TimelineEntry as Entry } from '../../api/client';
import { queries } from '../../api/queries';
import { LanguageContext, label, useNamed, useT } from '../../i18n';
import { ZoneContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';

const COLOUR: Record<string, string> = { change: 'blue', firing: 'orange', task: 'green', process: 'purple', message: 'gray' };

/// Everything that happened to and around a record, newest first, as the server assembles
/// it for the reader (changes with before and after, rules that fired and what they read,
/// tasks, processes, messages); the server says when older entries were left out.
export function Timeline({ app, form, id, fields }: { app: string; form: string; id: number; fields: FieldMeta[] }) {
  const t = useT();
  const named = useNamed();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const timeline = useQuery(queries.timeline(app, form, id)).data;
  const entries = timeline?.items ?? null;
  const more = timeline?.more ?? false;
  const labelOf = (key: string) => label(fields.find((f) => f.key === key)?.label, language) || key;
  const show = (v: unknown) => (v === null || v === undefined ? '—' : Array.isArray(v) ? v.join('、') : typeof v === 'object' ? JSON.stringify(v) : String(v));

  function describe(e: Entry): React.ReactNode {
    switch (e.kind) {
      case 'change': {
        const detail = (e.detail ?? {}) as { before?: Record<string, unknown>; after?: Record<string, unknown>; sent?: Record<string, unknown> };
        const action = String(e.action ?? '').replace('record.', '');
        const keys = action === 'update' ? Object.keys(detail.sent ?? {}) : [];
        return (
          <>
            <Typography.Text strong>{t(`timeline.${action}` as 'timeline.update')}</Typography.Text> · {String(e.actor ?? '')}
            {keys.map((k) => (
              <div key={k}>{labelOf(k)}: {show(detail.before?.[k])} → {show(detail.after?.[k])}</div>
            ))}
          </>
        );
      }
      case 'firing':
        return (
          <>
            <Typography.Text strong>{t('timeline.firing', { rule: label(e.label, language) || String(e.rule) })}</Typography.Text>
            {e.read !== null && e.read !== undefined && <div>{t('timeline.read')}: {show(e.read)}</div>}
          </>
        );
      case 'task':
        return <><Typography.Text strong>{String(e.title)}</Typography.Text> <Tag>{named('status.task', e.status)}</Tag></>;
      case 'process': {
        const flow = label(e.label, language) || String(e.flow);
        return <><Typography.Text strong>{t('timeline.process', { flow })}</Typography.Text> <Tag>{named('status.process', e.status)}</Tag></>;
      }
      default:
        return <><Tag>{named('channel', e.channel)}</Tag> {String(e.body ?? '')} <Tag>{named('status.message', e.state)}</Tag></>;
    }
  }

  if (entries === null) return null;
  return (
    <section aria-label={t('timeline.title')}>
      <AntTimeline
        items={entries.map((e, i) => ({
          key: `${e.kind}-${String(e.id ?? i)}`,
          color: COLOUR[e.kind] ?? 'gray',
          content: (
            <div>
              <Typography.Text type="secondary">{formatInstant(e.at, language, zone)}</Typography.Text>
              <div>{describe(e)}</div>
            </div>
          ),
        }))}
      />
      {entries.length === 0 && <Typography.Text type="secondary">{t('timeline.empty')}</Typography.Text>}
      {more && <Alert type="info" title={t('timeline.more', { count: entries.length })} />}
    </section>
  );
}
