import { useContext } from 'react';
import { Button, Checkbox, Popover } from 'antd';
import { ColumnWidthOutlined } from '@ant-design/icons';
import type { FieldMeta } from '../../api/client';
import { LanguageContext, label, useT } from '../../i18n';

/// Which of a form's fields the list shows, in the form's order; at least one stays.
export function ColumnChooser({ fields, shown, onChange }: { fields: FieldMeta[]; shown: string[]; onChange: (keys: string[]) => void }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const list = (
    <Checkbox.Group aria-label={t('list.columns')} value={shown} className="column-chooser"
      options={fields.map((f) => ({ value: f.key, label: label(f.label, language), disabled: shown.length === 1 && shown[0] === f.key }))}
      onChange={(keys) => onChange(fields.map((f) => f.key).filter((k) => keys.includes(k)))} />
  );
  return (
    <Popover content={list} trigger="click" placement="bottomRight">
      <Button icon={<ColumnWidthOutlined />}>{t('list.columns')}</Button>
    </Popover>
  );
}
