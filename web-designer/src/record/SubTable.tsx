import { useContext } from 'react';
import { Button, Form, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import type { FieldMeta } from '../api/client';
import { LanguageContext, label, useT } from '../i18n';
import { fieldType, type InputContext } from './fields';

/// A sub-table's editable rows: one line of inputs per row, each column through the
/// field-renderer table; rows are added and removed in place, errors shown at their cell
/// (`/proposals/1/amount`).
export function SubTable({ field, ctx }: { field: FieldMeta; ctx: InputContext }) {
  const t = useT();
  const language = useContext(LanguageContext);
  const columns = field.fields ?? [];
  const title = label(field.label, language);
  return (
    <fieldset className="sub-table wide" aria-label={title}>
      <legend><Typography.Text strong>{title}</Typography.Text></legend>
      <Form.List name={field.key}>
        {(rows, { add, remove }) => (
          <>
            {rows.map((row, index) => (
              <div key={row.key} className="sub-row" role="group" aria-label={t('form.row', { field: title, number: index + 1 })}>
                {columns.map((c) => {
                  const kind = fieldType(c);
                  return (
                    <Form.Item key={c.key} name={[row.name, c.key]} label={label(c.label, language)} required={c.required ?? false}
                      valuePropName={kind.valueProp ?? 'value'}>
                      {kind.input(c, ctx)}
                    </Form.Item>
                  );
                })}
                {!ctx.disabled && (
                  <Button icon={<DeleteOutlined />} aria-label={t('form.removeRow', { number: index + 1 })} onClick={() => remove(row.name)} />
                )}
              </div>
            ))}
            {!ctx.disabled && (
              <Button icon={<PlusOutlined />} onClick={() => add({})}>{t('form.addRow')}</Button>
            )}
          </>
        )}
      </Form.List>
    </fieldset>
  );
}
