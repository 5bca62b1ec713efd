// Another analyst saved this form since it was opened: what they changed (fields added,
// removed, changed, by key), and the choice: merge my changes over theirs, or take theirs.
import { useContext } from 'react';
import { Button, Modal, Space } from 'antd';
import { LanguageContext, label, joinIn } from '../../i18n';
import { useD } from '../i18n';
import { changedFields, merge, type FormDoc } from './model';

export function Conflict({ base, mine, theirs, onReload, onMerge, onClose }: {
  base: FormDoc; mine: FormDoc; theirs: FormDoc;
  onReload: () => void; onMerge: (merged: FormDoc) => void; onClose: () => void;
}) {
  const d = useD();
  const language = useContext(LanguageContext);
  const { added, removed, changed } = changedFields(base, theirs);
  const names = (fields: FormDoc['fields']) => joinIn(language, fields.map((f) => label(f.label, language) || f.key));
  return (
    <Modal open title={d('conflict.title')} onCancel={onClose} footer={
      <Space>
        <Button onClick={onClose}>{d('action.cancel')}</Button>
        <Button danger onClick={onReload}>{d('conflict.reload')}</Button>
        <Button type="primary" onClick={() => onMerge(merge(base, mine, theirs))}>{d('conflict.merge')}</Button>
      </Space>
    }>
      <p>{d('conflict.said')}</p>
      <ul>
        {added.length > 0 && <li>{d('conflict.added', { fields: names(added) })}</li>}
        {removed.length > 0 && <li>{d('conflict.removed', { fields: names(removed) })}</li>}
        {changed.length > 0 && <li>{d('conflict.changed', { fields: names(changed) })}</li>}
        {added.length + removed.length + changed.length === 0 && <li>{d('conflict.formOnly')}</li>}
      </ul>
      <p>{d('conflict.mergeSays')}</p>
    </Modal>
  );
}
