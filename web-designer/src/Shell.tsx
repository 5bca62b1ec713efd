import { useContext } from 'react';
import { BellOutlined, CheckSquareOutlined } from '@ant-design/icons';
import { Badge, Button, Dropdown, Layout, List, Menu, Popover, Segmented, Space, Typography } from 'antd';
import type { Me, Notification, Task } from './api/client';
import { LanguageContext, LANGUAGES, type Language, useT } from './i18n';
import { Inbox } from './Inbox';

interface Props {
  me: Me;
  tasks: Task[];
  notifications: { items: Notification[]; unread: number };
  onLanguage: (language: Language) => void;
  onSignOut: () => void;
}

const LANGUAGE_NAMES: Record<Language, string> = { 'zh-CN': '中文', en: 'EN' };

/// The shell every screen lives in: the header (bell, language, the user), the menu on
/// the left, the page in the middle. Designers and record screens join it later.
export function Shell({ me, tasks, notifications, onLanguage, onSignOut }: Props) {
  const t = useT();
  const language = useContext(LanguageContext);
  const overdue = tasks.filter((task) => task.overdue).length;
  const inbox = `${t('shell.inbox')} ${tasks.length}${overdue > 0 ? ` (${t('shell.overdue', { count: overdue })})` : ''}`;
  const bell = (
    <List
      size="small"
      dataSource={notifications.items}
      locale={{ emptyText: t('notifications.empty') }}
      renderItem={(n) => <List.Item style={{ fontWeight: n.read ? 'normal' : 'bold' }}>{n.message}</List.Item>}
      style={{ width: 360, maxHeight: 420, overflow: 'auto' }}
    />
  );
  return (
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
          <Dropdown menu={{ items: [{ key: 'out', label: t('shell.signOut'), onClick: onSignOut }] }}>
            <Button>{me.username}</Button>
          </Dropdown>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider breakpoint="lg" collapsedWidth={64} theme="light" width={220}>
          <Menu mode="inline" selectedKeys={['inbox']} items={[{ key: 'inbox', icon: <CheckSquareOutlined />, label: inbox }]} />
        </Layout.Sider>
        <Layout.Content style={{ padding: 24 }}>
          <Inbox tasks={tasks} />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
