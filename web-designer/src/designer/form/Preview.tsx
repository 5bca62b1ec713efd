// The live preview: the runtime's own record form (never a second renderer) drawn from the
// draft, at a desktop's or a tablet's width, its `visible_when` and formulas decided by the
// server's check of the draft as sample values are typed.
import { memo, useRef, useState } from 'react';
import { Alert, Radio } from 'antd';
import type { WorkspaceForm } from '../../api/client';
import { RecordForm } from '../../runtime/record/RecordForm';
import { useD } from '../i18n';
import { check, type Json } from '../api';
import type { FormDoc } from './model';

/// Drawn again only when the draft it shows changes.
export const Preview = memo(function Preview({ app, doc }: { app: string; doc: FormDoc }) {
  const d = useD();
  const [width, setWidth] = useState<'desktop' | 'tablet'>('desktop');
  // The sample values typed so far, kept when the draft changes and the form is drawn anew.
  const sample = useRef<Json>({});
  // Whether the server could lower the draft for its check (it cannot while it has problems).
  const [unavailable, setUnavailable] = useState(false);
  const form = {
    key: doc.key,
    label: doc.label,
    fields: doc.fields.map((f) => ({ ...f, mode: 'visible' })),
    operations: ['create'],
    layout: doc.layout ?? null,
    title_field: doc.title_field ?? null,
  } as unknown as WorkspaceForm;
  const drawn = JSON.stringify([doc.fields, doc.layout]);
  return (
    <section className="designer-preview" aria-labelledby="preview-title">
      <div className="preview-head">
        <h2 id="preview-title">{d('preview.title')}</h2>
        <Radio.Group aria-label={d('preview.width')} value={width} onChange={(e) => setWidth(e.target.value as 'desktop' | 'tablet')} optionType="button"
          options={[{ value: 'desktop', label: d('preview.desktop') }, { value: 'tablet', label: d('preview.tablet') }]} />
      </div>
      {unavailable && <Alert type="info" title={d('preview.unavailable')} style={{ marginBottom: 8 }} />}
      <div className={`preview-frame ${width}`}>
        <RecordForm key={drawn} app={app} form={form} record={null} start={sample.current} onSaved={() => {}}
          preview={async (values) => {
            sample.current = values;
            const answer = (await check(app, 'forms', doc.key, doc, { values }))?.preview ?? null;
            setUnavailable(answer === null);
            return answer;
          }} />
      </div>
    </section>
  );
});
