// Impact before a field is deleted or renamed: every rule, process, decision table, page,
// role and saved view that reads it, as the server finds them. Deleting names them and
// asks; renaming asks for the new key and has the server rewrite them all.
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Input, List, Modal, Spin, Typography } from 'antd';
import { designQueries, type Use } from '../api';
import { useD } from '../i18n';

export function Impact({ app, form, field, name, mode, onDelete, onRename, onClose }: {
  app: string; form: string; field: string; name: string;
  /// `delete`, or `rename`; a field never saved has no uses on the server to find.
  mode: 'delete' | 'rename';
  onDelete: () => void;
  onRename: (to: string) => Promise<string | null>;
  onClose: () => void;
}) {
  const d = useD();
  const uses = useQuery({ ...designQueries.uses(app, form, field), retry: false });
  const [to, setTo] = useState(field);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Its own form's layout is the designer's to change; the rest is what it affects.
  const items: Use[] = (uses.data?.items ?? []).filter((u) => !(u.of === 'forms' && u.key === form && u.path.includes('/layout/')));
  const title = mode === 'delete' ? d('impact.deleteTitle', { field: name }) : d('impact.renameTitle', { field: name });
  async function ok() {
    if (mode === 'delete') return onDelete();
    setBusy(true);
    setProblem(await onRename(to));
    setBusy(false);
  }
  return (
    <Modal open title={title} onCancel={onClose} onOk={() => void ok()} confirmLoading={busy}
      okText={mode === 'delete' ? d('impact.delete') : d('impact.rename')} okButtonProps={{ danger: mode === 'delete', disabled: mode === 'rename' && to === field }}
      cancelText={d('action.cancel')}>
      {mode === 'rename' && (
        <label className="stacked">
          {d('impact.newKey')}
          <Input autoFocus value={to} onChange={(e) => setTo(e.target.value.trim())} status={problem ? 'error' : ''} />
        </label>
      )}
      {problem && <Alert role="alert" type="error" title={problem} style={{ margin: '8px 0' }} />}
      {uses.isPending ? <Spin /> : (
        <>
          <Typography.Paragraph>
            {items.length === 0 ? d('impact.none') : mode === 'delete' ? d('impact.readBy', { count: items.length }) : d('impact.rewrites', { count: items.length })}
          </Typography.Paragraph>
          <List size="small" dataSource={items} renderItem={(u) => (
            <List.Item>
              <span><strong>{d(`impact.of.${u.of}` as Parameters<typeof d>[0])}</strong> {u.key}: <code>{u.text}</code></span>
            </List.Item>
          )} />
          {mode === 'rename' && items.some((u) => u.of === 'views') && <Alert type="info" title={d('impact.views')} />}
        </>
      )}
    </Modal>
  );
}
