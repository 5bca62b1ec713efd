import { useContext, useState } from 'react';
import { BellOutlined, CheckSquareOutlined, TableOutlined } from '@ant-design/icons';
import { Badge, Button, Dropdown, Layout, List, Menu, Popover, Segmented, Space, Typography } from 'antd';
import { api, type Me, type Notification, type Task, type Workspace } from './api/client';
import { LanguageContext, LANGUAGES, type Language, label, useT } from './i18n';
import { Inbox } from './Inbox';
import { prefetch } from './list/firstPage';
import { RecordList } from './list/RecordList';
import { RecordPage } from './record/RecordPage';
import { WorkspaceContext } from './workspace';
import { ZonePicker } from './ZonePicker';
import { TaskDrawer } from './TaskDrawer';
import { href, parse, usePage, type Page } from './route';

interface Props {
  /// Reloads what the shell shows (after a task is completed).
  onChanged: () => void;
  me: Me;
  workspace: Workspace;
  tasks: Task[];
  notifications: { items: Notification[]; unread: number };
  onLanguage: (language: Language) => void;
  /// The user's own zone, or null for the app's.
  onZone: (zone: string | null) => void;
  onSignOut: () => void;
}

const LANGUAGE_NAMES: Record<Language, string> = { 'zh-CN': '中文', en: 'EN' };

/// The shell every screen lives in: the header (bell, language, the user), the menu on
/// the left, the page in the middle. Designers and record screens join it later.
export function Shell({ me, workspace, tasks, notifications, onLanguage, onZone, onSignOut, onChanged }: Props) {
  const [opened, setOpened] = useState<Task | null>(null);
  // Counts the changes made here (a task completed), for the inbox to load again.
  const [changes, setChanges] = useState(0);
  const t = useT();
  const language = useContext(LanguageContext);
  const [page, go] = usePage();
  const { open, overdue } = workspace.tasks;
  // The counts as badges (the overdue one red), said in full to screen readers.
  const said = `${t('shell.inbox')} ${open}${overdue > 0 ? `, ${t('shell.overdue', { count: overdue })}` : ''}`;
  const inbox = (
    <span aria-label={said}>
      {t('shell.inbox')} <Badge count={open} color="blue" showZero size="small" aria-hidden />{' '}
      {overdue > 0 && <Badge count={overdue} size="small" aria-hidden />}
    </span>
  );
  // The user's first app for now; several apps get a switcher in the header.
  const app = workspace.apps[0];
  const form = page.kind !== 'inbox' && page.app === app?.key ? app.forms.find((f) => f.key === page.form) : undefined;
  const listed = page.kind === 'inbox' ? '/' : href({ kind: 'list', app: page.app, form: page.form });
  const menu = [
    { key: '/', icon: <CheckSquareOutlined aria-hidden />, label: inbox },
    ...(app
      ? [{ type: 'group' as const, key: 'forms', label: label(app.name, language),
          children: app.forms.map((f) => ({ key: href({ kind: 'list', app: app.key, form: f.key }), icon: <TableOutlined aria-hidden />, label: label(f.label, language) })) }]
      : []),
  ];
  /// A page from the menu; a list's first page is asked for at once, while it renders.
  function choose(next: Page) {
    const chosen = next.kind === 'list' && app ? app.forms.find((f) => f.key === next.form) : undefined;
    if (app && chosen) prefetch(app.key, chosen);
    go(next);
  }
  // A notification opens what it is about (its task; its record's list until records have
  // their page) and is marked read; all can be marked read at once.
  async function openNotice(n: Notification) {
    await api.POST('/api/v1/notifications/{id}/read', { params: { path: { id: n.id } } });
    const task = tasks.find((x) => x.id === n.task);
    if (task) setOpened(task);
    else if (n.subject?.form && app) go({ kind: 'list', app: app.key, form: n.subject.form });
    onChanged();
  }
  async function readAll() {
    await api.POST('/api/v1/notifications/read');
    onChanged();
  }
  const bell = (
    <div style={{ width: 360 }}>
      <List
        size="small"
        dataSource={notifications.items}
        locale={{ emptyText: t('notifications.empty') }}
        renderItem={(n) => (
          <List.Item>
            <Button type="text" block style={{ textAlign: 'left', whiteSpace: 'normal', height: 'auto', fontWeight: n.read ? 'normal' : 600 }}
              onClick={() => void openNotice(n)}>
              {n.message}
            </Button>
          </List.Item>
        )}
        style={{ maxHeight: 420, overflow: 'auto' }}
      />
      {notifications.unread > 0 && (
        <Button type="link" onClick={() => void readAll()}>
          {t('notifications.readAll')}
        </Button>
      )}
    </div>
  );
  return (
    <WorkspaceContext.Provider value={workspace}>
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="shell-header">
        <Typography.Text strong className="brand">
          {t('app.name')}
        </Typography.Text>
        <Space size="middle">
          <Popover content={bell} trigger="click" placement="bottomRight">
            <Badge count={notifications.unread} size="small">
              <Button
                icon={<BellOutlined />}
                aria-label={`${t('shell.notifications')}: ${t('shell.unread', { count: notifications.unread })}`}
              />
            </Badge>
          </Popover>
          <Segmented
            aria-label={t('shell.language')}
            value={language}
            options={LANGUAGES.map((l) => ({ label: LANGUAGE_NAMES[l], value: l }))}
            onChange={(value) => onLanguage(value as Language)}
          />
          <ZonePicker zone={me.time_zone ?? null} appZone={app?.time_zone ?? 'UTC'} onZone={onZone} />
          <Dropdown menu={{ items: [{ key: 'out', label: t('shell.signOut'), onClick: onSignOut }] }}>
            <Button>{me.username}</Button>
          </Dropdown>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider breakpoint="md" collapsedWidth={64} theme="light" width={220}>
          <nav aria-label={t('shell.menu')}>
            <Menu mode="inline" selectedKeys={[listed]} items={menu} onClick={({ key }) => choose(parse(key))} />
          </nav>
        </Layout.Sider>
        <Layout.Content style={{ padding: 24 }}>
          {!app || !form || page.kind === 'inbox' ? (
            <Inbox first={tasks} leads={workspace.tasks.leads} onOpen={setOpened} go={go} changed={changes} />
          ) : page.kind === 'list' ? (
            <RecordList app={app.key} form={form} go={go} />
          ) : (
            <RecordPage app={app.key} form={form} id={page.kind === 'record' ? page.id : null} go={go} />
          )}
          {opened && (
            <TaskDrawer
              task={opened}
              me={me.username}
              leads={workspace.tasks.leads}
              onClose={() => setOpened(null)}
              onDone={() => {
                setOpened(null);
                setChanges((n) => n + 1);
                onChanged();
              }}
            />
          )}
        </Layout.Content>
      </Layout>
    </Layout>
    </WorkspaceContext.Provider>
  );
}
