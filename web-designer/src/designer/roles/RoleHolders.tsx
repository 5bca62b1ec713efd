// The users an app role is given to (the directory's app roles): listed for an
// administrator, who gives it to another user or takes it back.
import { useContext, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Select, Space, Table } from 'antd';
import { api } from '../../api/client';
import { answered, invalidate, type Key } from '../../api/queries';
import { ShellContext } from '../../ui/contexts';
import { useD } from '../i18n';
import { useJoin } from '../../i18n';

interface User { username: string; display_name?: string | null; org_unit?: string | null; app_roles?: Record<string, string[]> }

export function RoleHolders({ app, role }: { app: string; role: string }) {
  const d = useD();
  const join = useJoin();
  const me = useContext(ShellContext)?.me;
  const client = useQueryClient();
  const admin = me?.platform_role === 'administrator';
  const users = useQuery({
    queryKey: ['/api/v1/users', {}] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/users')) as { items: User[] },
    enabled: admin,
  });
  const [adding, setAdding] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  if (!admin) return <Alert type="info" title={d('roles.holdersAdminOnly')} style={{ marginTop: 16 }} />;
  const all = users.data?.items ?? [];
  const holds = (u: User) => (u.app_roles?.[app] ?? []).includes(role);
  async function give(u: User, on: boolean) {
    const now = u.app_roles?.[app] ?? [];
    const roles = on ? [...now, role] : now.filter((r) => r !== role);
    const answer = await api.PUT('/api/v1/users/{username}', { params: { path: { username: u.username } }, body: { app_roles: { [app]: roles } } });
    const refused = answer.error as { detail?: string; errors?: { message: string }[] } | undefined;
    setProblem(refused ? join((refused.errors ?? []).map((e) => e.message), 'sentences') || refused.detail || d('designer.failed') : null);
    void invalidate(client, ['/api/v1/users']);
  }
  const name = (u: User) => u.display_name ? `${u.display_name} (${u.username})` : u.username;
  return (
    <section aria-labelledby="holders-title" style={{ marginTop: 24 }}>
      <h2 id="holders-title" className="section-title">{d('roles.holders')}</h2>
      {problem && <Alert role="alert" type="error" title={problem} style={{ marginBottom: 8 }} />}
      <Space style={{ marginBottom: 8 }}>
        <Select showSearch={{ optionFilterProp: 'label' }} aria-label={d('roles.giveTo')} placeholder={d('roles.giveTo')} style={{ width: 260 }} value={adding}
          onChange={setAdding} options={all.filter((u) => !holds(u)).map((u) => ({ value: u.username, label: name(u) }))} />
        <Button disabled={!adding} onClick={() => { const u = all.find((x) => x.username === adding); if (u) void give(u, true); setAdding(null); }}>{d('roles.give')}</Button>
      </Space>
      <Table rowKey="username" size="small" pagination={false} dataSource={all.filter(holds)} columns={[
        { title: d('roles.user'), render: (_, u) => name(u) },
        { title: d('roles.unit'), render: (_, u) => u.org_unit ?? '—' },
        { title: d('apps.actions'), render: (_, u) => <Button danger size="small" onClick={() => void give(u, false)} aria-label={d('roles.takeBackFrom', { user: name(u) })}>{d('roles.takeBack')}</Button> },
      ]} />
    </section>
  );
}
