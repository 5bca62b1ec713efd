import { useContext, useState } from 'react';
import { Button, List, Segmented, Tag, Typography } from 'antd';
import { rowsOf, useTasks } from '../../api/queries';
import { LanguageContext, useT } from '../../i18n';
import { ShellContext, WorkspaceContext, ZoneContext } from '../../ui/contexts';
import { formatInstant } from '../../ui/format';
import { paths, useNavigate } from '../../ui/router';

const PRIORITY_COLOUR = { high: 'red', normal: 'blue', low: 'default' } as const;

type Whose = 'mine' | 'queue' | 'team';

/// The caller's open tasks in three parts (theirs, those waiting in their roles' and units'
/// queues, and for a manager their team's), soonest due first, a page at a time with the
/// server's cursor: overdue ones marked, priority as a tag, a queue's task saying whose
/// queue it waits in, the record it is about one click away.
export default function Inbox() {
  const t = useT();
  const language = useContext(LanguageContext);
  const zone = useContext(ZoneContext);
  const leads = useContext(WorkspaceContext)?.tasks.leads ?? false;
  const onOpen = useContext(ShellContext)?.openTask ?? (() => {});
  const go = useNavigate();
  const [whose, setWhose] = useState<Whose>('mine');
  const answer = useTasks(whose);
  const tasks = rowsOf(answer.data?.pages);
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
                    {whose === 'team' && task.assignee && ` · ${task.assignee}`}
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
      {answer.hasNextPage && (
        <div className="list-footer"><span /><Button onClick={() => void answer.fetchNextPage()} loading={answer.isFetchingNextPage}>{t('list.more')}</Button></div>
      )}
    </section>
  );
}
