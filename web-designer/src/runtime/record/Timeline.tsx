import { useContext } from 'react';
import { Alert, Descriptions, Tag, Timeline as AntTimeline, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { FieldMeta, TimelineEntry as Entry, WorkspaceForm } from '../../api/client';
import { queries } from '../../api/queries';
import { valueText, type ShownIn } from '../../fields/kinds';
import { LanguageContext, label, type Language, useNamed, useT } from '../../i18n';
import { WorkspaceContext, ZoneContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';
import { messageText } from '../../ui/messages';

const COLOUR: Record<string, string> = { change: 'blue', firing: 'orange', task: 'green', process: 'purple', message: 'gray' };

/// Everything that happened to and around a record, newest first, as the server assembles
/// it for the reader (changes with before and after, rules that fired and what they read,
/// tasks, processes, messages), every value in words as its field says (options by their
/// labels, instants on the reader's clocks, money at its scale), every actor by name; the
/// server says when older entries were left out.
export function Timeline({ app, form, id }: { app: string; form: string; id: number }) {
  const t = useT();
  const named = useNamed();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const forms = useContext(WorkspaceContext)?.apps.find((a) => a.key === app)?.forms ?? [];
  const timeline = useQuery(queries.timeline(app, form, id)).data;
  const entries = timeline?.items ?? null;
  const more = timeline?.more ?? false;
  const shown: ShownIn = { language, zone };
  /// A value of `key` (a field, or a path through relations) of `on`, labelled and in words.
  const line = (on: string, key: string, value: unknown) => {
    const field = fieldThrough(forms, on, key);
    return { key, label: field ? pathLabel(forms, on, key, language) : key, children: valueText(field, value, shown) };
  };

  function describe(e: Entry): React.ReactNode {
    switch (e.kind) {
      case 'change': {
        const detail = (e.detail ?? {}) as { before?: Record<string, unknown>; after?: Record<string, unknown>; sent?: Record<string, unknown> };
        const action = String(e.action ?? '').replace('record.', '');
        const keys = action === 'update' ? Object.keys(detail.sent ?? {}) : [];
        // A person by name, a rule or a process by its label, Trellis itself as the system.
        const by = label(e.by, language) || (e['via'] === 'system' ? t('timeline.system') : String(e.actor ?? ''));
        return (
          <>
            <Typography.Text strong>{t(`timeline.${action}` as 'timeline.update')}</Typography.Text> · {by}
            {keys.map((k) => {
              const field = fieldThrough(forms, form, k);
              return (
                <div key={k}>
                  {field ? label(field.label, language) : k}: {valueText(field, detail.before?.[k], shown)} → {valueText(field, detail.after?.[k], shown)}
                </div>
              );
            })}
          </>
        );
      }
      case 'firing': {
        const read = e.read && typeof e.read === 'object' ? Object.entries(e.read as Record<string, unknown>) : [];
        return (
          <>
            <Typography.Text strong>{t('timeline.firing', { rule: label(e.label, language) || String(e.rule) })}</Typography.Text>
            {read.length > 0 && (
              <Descriptions size="small" column={1} title={<Typography.Text type="secondary">{t('timeline.read')}</Typography.Text>}
                items={read.map(([k, v]) => line(e.form ?? form, k, v))} />
            )}
          </>
        );
      }
      case 'task':
        return <><Typography.Text strong>{String(e.title)}</Typography.Text> <Tag>{named('status.task', e.status)}</Tag></>;
      case 'process': {
        const flow = label(e.label, language) || String(e.flow);
        return <><Typography.Text strong>{t('timeline.process', { flow })}</Typography.Text> <Tag>{named('status.process', e.status)}</Tag></>;
      }
      default:
        return <><Tag>{named('channel', e.channel)}</Tag> {messageText(e.body, language)} <Tag>{named('status.message', e.state)}</Tag></>;
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

/// The field a key names on form `on`: a field of it, or a path through its relations
/// (`customer.tier`: the customer's tier).
export function fieldThrough(forms: WorkspaceForm[], on: string, path: string): FieldMeta | undefined {
  const [head, ...rest] = path.split('.');
  const field = forms.find((f) => f.key === on)?.fields.find((f) => f.key === head);
  if (!field || rest.length === 0) return field;
  return field.type === 'relation' && field.form ? fieldThrough(forms, field.form, rest.join('.')) : undefined;
}

/// A path's label: each step's label (客户 · 客户等级).
function pathLabel(forms: WorkspaceForm[], on: string, path: string, language: Language): string {
  const [head, ...rest] = path.split('.');
  const field = forms.find((f) => f.key === on)?.fields.find((f) => f.key === head);
  if (!field) return path;
  const own = label(field.label, language);
  return rest.length && field.form ? `${own} · ${pathLabel(forms, field.form, rest.join('.'), language)}` : own;
}
