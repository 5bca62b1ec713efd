import { Suspense, useContext, useState } from 'react';
import { BarChartOutlined, BellOutlined, BuildOutlined, CheckSquareOutlined, MailOutlined, TableOutlined } from '@ant-design/icons';
import { Badge, Button, Dropdown, Layout, List, Menu, Popover, Space, Spin, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Me, type Notification, type Task, type Workspace } from '../api/client';
import { initialParams } from './list/query';
import { invalidate, listQuery, queries } from '../api/queries';
import { LanguageContext, type Language, label, useT } from '../i18n';
import { resolve } from '../routes';
import { ShellContext, WorkspaceContext } from '../ui/contexts';
import { NavigateContext, paths, usePath } from '../ui/router';
import { LanguageSwitch } from '../ui/LanguageSwitch';
import { ZonePicker } from '../ui/ZonePicker';
import { TaskDrawer } from './inbox/TaskDrawer';

interface Props {
  me: Me;
  workspace: Workspace;
  onLanguage: (language: Language) => void;
  /// The user's own zone, or null for the app's.
  onZone: (zone: string | null) => void;
  onSignOut: () => void;
}

/// The shell every screen lives in: the header (bell, language, zone, the user), the menu
/// on the left (the inbox, then every app's forms), the screen the URL names in the middle
/// (from the route table, its code loaded when first opened), and a task opened over it.
export function Shell({ me, workspace, onLanguage, onZone, onSignOut }: Props) {
  const [opened, setOpened] = useState<Task | null>(null);
  // Below 992 px (a tablet) the menu is icons only, each named by its tooltip.
  const [narrow, setNarrow] = useState(false);
  const t = useT();
  const language = useContext(LanguageContext);
  const client = useQueryClient();
  const [path, go] = usePath();
  const notifications = useQuery(queries.notifications());
  const { route, params } = resolve(path);
  const Screen = route.screen;
  const { open, overdue } = workspace.tasks;
  const runs = me.platform_role === 'administrator' || me.platform_role === 'designer';
  // The counts as badges (the overdue one red), said in full to screen readers.
  const said = `${t('shell.inbox')} ${open}${overdue > 0 ? `, ${t('shell.overdue', { count: overdue })}` : ''}`;
  const inbox = (
    <span aria-label={said}>
      {t('shell.inbox')} <Badge count={open} color="#0958d9" showZero size="small" aria-hidden />{' '}
      {overdue > 0 && <Badge count={overdue} size="small" aria-hidden />}
    </span>
  );
  const menu = [
    { key: paths.inbox(), icon: <CheckSquareOutlined aria-hidden />, label: inbox },
    ...workspace.apps.map((app) => ({
      type: 'group' as const,
      key: `app-${app.key}`,
      // An app's name heads its forms; icons only, a line parts them.
      label: narrow ? <hr className="menu-rule" aria-label={label(app.name, language)} /> : label(app.name, language),
      children: [
        ...app.dashboards.map((d) => ({ key: paths.dashboard(app.key, d.key), icon: <BarChartOutlined aria-hidden />, label: label(d.label ?? undefined, language) || d.key })),
        ...app.forms.map((f) => ({ key: paths.list(app.key, f.key), icon: <TableOutlined aria-hidden />, label: label(f.label, language) })),
        // What left the app (and what could not), for those who run it.
        ...(runs ? [{ key: paths.outbox(app.key), icon: <MailOutlined aria-hidden />, label: t('outbox.title') }] : []),
      ],
    })),
    // The designers, for those who build apps.
    ...(runs ? [{ key: paths.design(), icon: <BuildOutlined aria-hidden />, label: t('shell.design') }] : []),
  ];
  const selected = path.startsWith(paths.design()) ? paths.design()
    : params.app && params.form ? paths.list(params.app, params.form)
    : params.app && (route.pattern === '/apps/:app/outbox' || route.pattern === '/apps/:app/channels') ? paths.outbox(params.app)
    : params.app && params.dashboard ? paths.dashboard(params.app, params.dashboard) : paths.inbox();
  /// A screen from the menu; a list's first page is asked for at once, while its code loads
  /// and it renders.
  function choose(to: string) {
    const { app, form } = resolve(to).params;
    const chosen = workspace.apps.find((a) => a.key === app)?.forms.find((f) => f.key === form);
    if (app && chosen) void client.prefetchInfiniteQuery(listQuery(app, chosen.key, initialParams(chosen)));
    go(to);
  }
  // A notification opens what it is about (its task, else its record's list) and is
  // marked read; all can be marked read at once.
  async function openNotice(n: Notification) {
    await api.POST('/api/v1/notifications/{id}/read', { params: { path: { id: n.id } } });
    void invalidate(client, ['/api/v1/notifications']);
    const task = n.task ? (await client.fetchQuery(queries.task(n.task)).catch(() => null)) : null;
    if (task) setOpened(task);
    else if (n.subject?.form && n.app) go(paths.list(n.app, n.subject.form));
  }
  async function readAll() {
    await api.POST('/api/v1/notifications/read');
    void invalidate(client, ['/api/v1/notifications']);
  }
  const unread = notifications.data?.unread ?? 0;
  const bell = (
    <div style={{ width: 360 }}>
      <List
        size="small"
        dataSource={notifications.data?.items ?? []}
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
      {unread > 0 && (
        <Button type="link" onClick={() => void readAll()}>
          {t('notifications.readAll')}
        </Button>
      )}
    </div>
  );
  return (
    <WorkspaceContext.Provider value={workspace}>
      <ShellContext.Provider value={{ me, openTask: setOpened }}>
        <NavigateContext.Provider value={go}>
          <Layout style={{ minHeight: '100vh' }}>
            <Layout.Header className="shell-header">
              <Typography.Text strong className="brand">
                {t('app.name')}
              </Typography.Text>
              <Space size="middle">
                <Popover content={bell} trigger="click" placement="bottomRight">
                  <Badge count={unread} size="small">
                    <Button icon={<BellOutlined />} aria-label={`${t('shell.notifications')}: ${t('shell.unread', { count: unread })}`} />
                  </Badge>
                </Popover>
                <LanguageSwitch onLanguage={onLanguage} />
                <ZonePicker zone={me.time_zone ?? null} appZone={workspace.apps[0]?.time_zone ?? 'UTC'} onZone={onZone} />
                <Dropdown menu={{ items: [{ key: 'out', label: t('shell.signOut'), onClick: onSignOut }] }}>
                  <Button title={me.username} autoInsertSpace={false}>{me.display_name ?? me.username}</Button>
                </Dropdown>
              </Space>
            </Layout.Header>
            <Layout>
              <Layout.Sider breakpoint="lg" collapsedWidth={64} theme="light" width={220} onBreakpoint={setNarrow}>
                <nav aria-label={t('shell.menu')}>
                  <Menu mode="inline" selectedKeys={[selected]} items={menu} onClick={({ key }) => choose(key)} />
                </nav>
              </Layout.Sider>
              <Layout.Content style={{ padding: 24 }}>
                <Suspense fallback={<Spin />}>
                  <Screen key={route.pattern + JSON.stringify(params)} params={params} />
                </Suspense>
                {opened && <TaskDrawer task={opened} onClose={() => setOpened(null)} onDone={() => setOpened(null)} />}
              </Layout.Content>
            </Layout>
          </Layout>
        </NavigateContext.Provider>
      </ShellContext.Provider>
    </WorkspaceContext.Provider>
  );
}
