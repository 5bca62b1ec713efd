// The top of every document designer: its title, the way back, undo and redo (with their
// keys), save, publish and whether anything is unsaved; below it what the last save said,
// in the language the reader reads now.
import { RedoOutlined, UndoOutlined } from '@ant-design/icons';
import { Alert, Button, Space, Tooltip } from 'antd';
import { useContext } from 'react';
import { LanguageContext } from '../i18n';
import { useNavigate } from '../ui/router';
import { useD } from './i18n';
import type { useDraft } from './useDraft';

export function DraftToolbar({ title, back, draft, onPublish }: {
  title: string;
  back: string;
  draft: Pick<ReturnType<typeof useDraft>, 'dirty' | 'busy' | 'notice' | 'setNotice' | 'undo' | 'redo' | 'save'> & {
    h: { past: unknown[]; future: unknown[] } | null;
  };
  onPublish: () => void;
}) {
  const d = useD();
  const language = useContext(LanguageContext);
  const go = useNavigate();
  const { h, notice } = draft;
  return (
    <>
      <header className="designer-toolbar">
        <h1>{title}</h1>
        <Space wrap>
          <Button onClick={() => go(back)}>{d('designer.back')}</Button>
          <Tooltip title="Ctrl+Z"><Button icon={<UndoOutlined />} disabled={!h || h.past.length === 0} onClick={draft.undo}>{d('designer.undo')}</Button></Tooltip>
          <Tooltip title="Ctrl+Shift+Z"><Button icon={<RedoOutlined />} disabled={!h || h.future.length === 0} onClick={draft.redo}>{d('designer.redo')}</Button></Tooltip>
          <Button onClick={() => void draft.save()} loading={draft.busy} disabled={!draft.dirty}>{d('designer.save')}</Button>
          <Button type="primary" onClick={onPublish}>{d('designer.publish')}</Button>
          {draft.dirty && <span className="unsaved" role="status">{d('designer.unsaved')}</span>}
        </Space>
      </header>
      {notice && <Alert className="designer-notice" role={notice.type === 'error' ? 'alert' : 'status'} type={notice.type} title={notice.text(language)} closable onClose={() => draft.setNotice(null)} />}
    </>
  );
}
