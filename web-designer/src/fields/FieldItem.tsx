import { Button, Form, Input, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { shownMasked, type FieldMeta } from '../api/client';
import { label, useT } from '../i18n';
import { formulaText, kindOf, type InputContext } from './kinds';

/// One field of a form as its kind draws it, labelled and with its help: a formula's value
/// as the server computed it, a sub-table's rows, a masked value as the server masked it
/// (never editable), anything else its kind's input, read only where the reader may not
/// write it. Record forms, task forms, sub-table rows and bulk edit all draw fields here.
export function FieldItem({ field, ctx, name, formulas = {}, writable }: {
  field: FieldMeta;
  ctx: InputContext;
  /// The form item's name (a sub-table row's cell is `[row, key]`); the field's key by default.
  name?: (string | number)[];
  /// Formula values, as the server's check computed them.
  formulas?: Record<string, unknown>;
  writable: boolean;
}) {
  const kind = kindOf(field);
  const title = label(field.label, ctx.language);
  const extra = field.help ? label(field.help, ctx.language) : undefined;
  if (kind.special === 'formula') {
    const shown = formulaText(field, formulas[field.key]);
    return (
      <Form.Item label={title} htmlFor={`formula-${field.key}`} extra={extra}>
        <Input id={`formula-${field.key}`} value={shown} readOnly className="number" />
      </Form.Item>
    );
  }
  if (kind.special === 'sub_table') return <SubTable field={field} ctx={{ ...ctx, disabled: !writable }} />;
  const input = shownMasked(field) ? <Input readOnly disabled /> : kind.input(field, { ...ctx, disabled: !writable });
  return (
    <Form.Item name={name ?? field.key} label={title} required={field.required ?? false} extra={extra}
      valuePropName={kind.valueProp ?? 'value'} className={kind.wide ? 'wide' : 'field'}>
      {input}
    </Form.Item>
  );
}

/// A sub-table's editable rows: one line of inputs per row, each column through the
/// field-kind table; rows are added and removed in place, errors shown at their cell
/// (`/proposals/1/amount`).
function SubTable({ field, ctx }: { field: FieldMeta; ctx: InputContext }) {
  const t = useT();
  const language = ctx.language;
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
                {columns.map((c) => (
                  <FieldItem key={c.key} field={c} ctx={ctx} name={[row.name, c.key]} writable={!ctx.disabled} />
                ))}
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
