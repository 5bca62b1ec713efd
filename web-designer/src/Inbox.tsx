import { Button, List, Tag, Typography } from 'antd';
import type { Task } from './api/client';
import { LanguageContext, useT } from './i18n';
import { useContext } from 'react';
import { formatInstant } from './format';

const PRIORITY_COLOUR = { high: 'red', normal: 'blue', low: 'default' } as const;

/// The caller's open tasks, soonest due first: overdue ones marked, priority as a tag, a
/// queue's task saying whose queue it waits in.
export function Inbox({ tasks, onOpen }: { tasks: Task[]; onOpen: (task: Task) => void }) {
  const t = useT();
  const language = useContext(LanguageContext);
  return (
    <section aria-labelledby="inbox-title">
      <Typography.Title level={3} id="inbox-title">
        {t('inbox.title')}
      </Typography.Title>
      <List
        bordered
        dataSource={tasks}
        locale={{ emptyText: t('inbox.empty') }}
        renderItem={(task) => {
          const priority = (task.priority as keyof typeof PRIORITY_COLOUR) ?? 'normal';
          return (
            <List.Item
              aria-label={task.title}
              actions={[
                <Button key="open" type="link" onClick={() => onOpen(task)} aria-label={`${t('task.open')}: ${task.title}`}>
                  {t('task.open')}
                </Button>,
              ]}
            >
              <List.Item.Meta
                title={task.title}
                description={
                  <span>
                    {task.due_at ? `${t('inbox.due')} ${formatInstant(task.due_at, language)}` : t('inbox.noDue')}
                    {task.candidate_unit && !task.assignee && ` · ${t('inbox.queue', { unit: task.candidate_unit })}`}
                  </span>
                }
              />
              {task.overdue && <Tag color="error">{t('inbox.overdue')}</Tag>}
              <Tag color={PRIORITY_COLOUR[priority] ?? 'default'}>{t(`inbox.priority.${priority}`)}</Tag>
            </List.Item>
          );
        }}
      />
    </section>
  );
}
