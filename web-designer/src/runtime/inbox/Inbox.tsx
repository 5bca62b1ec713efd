import { useContext, useState } from 'react';
import { Button, List, Segmented, Switch, Tag, Typography } from 'antd';
import type { Task, TaskHolder } from '../../api/client';
import { rowsOf, useTasks } from '../../api/queries';
import { LanguageContext, useT } from '../../i18n';
import { ShellContext, WorkspaceContext, ZoneContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';
import { paths, useNavigate } from '../../ui/router';

const PRIORITY_COLOUR = { high: 'red', normal: 'blue', low: 'default' } as const;

type Whose = 'mine' | 'queue' | 'team';

/// The caller's open tasks in three parts (theirs, those waiting in their roles' and units'
/// queues, and for a manager their team's, grouped by holder with each one's open and
/// overdue counts), soonest due first, a page at a time with the server's cursor: overdue
/// ones marked (and, for a team, filtered), priority as a tag, a queue's task saying whose
/// queue it waits in, the record it is about one click away.
export default function Inbox() {
  const t = useT();
  const leads = useContext(WorkspaceContext)?.tasks.leads ?? false;
  const [whose, setWhose] = useState<Whose>('mine');
  const [overdueOnly, setOverdueOnly] = useState(false);
  const answer = useTasks(whose, whose === 'team' && overdueOnly);
  const tasks = rowsOf(answer.data?.pages);
  const holders = answer.data?.pages[0]?.holders ?? null;
  const loading = answer.isFetching;

  return (
    <section aria-labelledby="inbox-title" className="inbox">
      <div className="list-head">
        <Typography.Title level={1} className="page-title" id="inbox-title">{t('inbox.title')}</Typography.Title>
        <Segmented aria-label={t('inbox.whose')} value={whose}
          options={[
            { value: 'mine', label: t('inbox.mine') },
            { value: 'queue', label: t('inbox.queues') },
            ...(leads ? [{ value: 'team', label: t('inbox.team') }] : []),
          ]}
          onChange={(v) => setWhose(v as Whose)} />
      </div>
      {whose === 'team' ? (
        <>
          <label className="overdue-only">
            <Switch size="small" checked={overdueOnly} onChange={setOverdueOnly} /> {t('inbox.overdueOnly')}
          </label>
          {holders && holders.length === 0 && <List bordered dataSource={[]} locale={{ emptyText: t('inbox.empty') }} />}
          {(holders ?? []).map((holder) => (
            <HolderTasks key={holder.username} holder={holder} tasks={tasks.filter((task) => task.assignee === holder.username)} />
          ))}
        </>
      ) : (
        <TaskList tasks={tasks} loading={loading} />
      )}
      {answer.hasNextPage && (
        <div className="list-footer"><span /><Button onClick={() => void answer.fetchNextPage()} loading={answer.isFetchingNextPage}>{t('list.more')}</Button></div>
      )}
    </section>
  );
}

/// One holder's part of a team's tasks: who, how many open and overdue (of all the team's,
/// counted by the server), and those loaded.
function HolderTasks({ holder, tasks }: { holder: TaskHolder; tasks: Task[] }) {
  const t = useT();
  const name = holder.display_name ?? holder.username;
  return (
    <section aria-label={name} className="holder">
      <Typography.Title level={2} className="holder-title">
        {name} <Tag>{t('inbox.openCount', { count: holder.open })}</Tag>
        {holder.overdue > 0 && <Tag color="error">{t('inbox.overdueCount', { count: holder.overdue })}</Tag>}
      </Typography.Title>
      <TaskList tasks={tasks} loading={false} />
    </section>
  );
}

/// Tasks as a list: each with its due time, queue, tags and the ways to open it.
function TaskList({ tasks, loading }: { tasks: Task[]; loading: boolean }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const onOpen = useContext(ShellContext)?.openTask ?? (() => {});
  const go = useNavigate();
  return (
    <List
      bordered
      loading={loading}
      dataSource={tasks}
      locale={{ emptyText: t('inbox.empty') }}
      renderItem={(task) => {
        const priority = (task.priority as keyof typeof PRIORITY_COLOUR) ?? 'normal';
        const subject = task.subject.form && task.subject.id ? paths.record(task.app, task.subject.form, task.subject.id) : null;
        return (
          <List.Item
            aria-label={task.title}
            className={task.overdue ? 'overdue' : 'due'}
            actions={[
              <Button key="open" type="link" onClick={() => onOpen(task)} aria-label={`${t('task.open')}: ${task.title}`}>{t('task.open')}</Button>,
              ...(subject ? [
                <Button key="record" type="link" onClick={() => go(subject)} aria-label={`${t('task.record')}: ${task.title}`}>{t('task.record')}</Button>,
              ] : []),
            ]}
          >
            <List.Item.Meta
              title={task.title}
              description={
                <span>
                  {task.due_at ? `${t('inbox.due')} ${formatInstant(task.due_at, language, zone)}` : t('inbox.noDue')}
                  {task.candidate_unit && !task.assignee && ` · ${t('inbox.queue', { unit: task.candidate_unit })}`}
                </span>
              }
            />
            <span className="task-tags">
              {task.overdue && <Tag color="error">{t('inbox.overdue')}</Tag>}
              <Tag color={PRIORITY_COLOUR[priority] ?? 'default'}>{t(`inbox.priority.${priority}`)}</Tag>
            </span>
          </List.Item>
        );
      }}
    />
  );
}
