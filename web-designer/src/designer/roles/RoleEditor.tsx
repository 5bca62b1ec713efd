// Who may see what: one app role, per form the operations it grants, its row rule (the
// expression editor, `$user.` completed) and each field's mode; the events it may send;
// and, for an administrator, the users it is given to. Every change undoable, saved over
// the revision read, published with its dry run.
import { useContext, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Checkbox, Collapse, Form, Select, Space, Spin, Table } from 'antd';
import { LanguageContext, label, joinIn } from '../../i18n';
import type { Params } from '../../ui/router';
import { designQueries, type Json } from '../api';
import type { Name } from '../expr/ExpressionEditor';
import { at, ExpressionProp, LabelsInput } from '../form/inputs';
import type { FieldDoc, FormDoc, Labels } from '../form/model';
import { useD } from '../i18n';
import { designPaths } from '../paths';
import { usePublishing } from '../usePublishing';
import { useChecked, useDraft } from '../useDraft';
import { DraftToolbar } from '../DraftToolbar';
import { RoleHolders } from './RoleHolders';
import { Frame } from '../Frame';

const OPERATIONS = ['read', 'create', 'update', 'delete', 'export'] as const;
const MODES = ['visible', 'read_only', 'year_only', 'masked', 'hidden'] as const;
interface Grant { operations?: string[]; rows?: string; fields?: Record<string, string> }
type RoleDoc = { key: string; label?: Labels; forms: Record<string, Grant>; events?: string[] } & Json;

export default function RoleEditor({ params }: { params: Params }) {
  const app = params.app ?? '';
  const key = params.role ?? '';
  const d = useD();
  const language = useContext(LanguageContext);
  const draft = useDraft<RoleDoc>(app, 'roles', key, () => ({ key, label: { 'zh-CN': key }, forms: {} }));
  const forms = useQuery(designQueries.drafts(app, 'forms'));
  const events = useQuery(designQueries.drafts(app, 'events'));
  const publishing = usePublishing(app, async () => (draft.dirty ? draft.save() : true));
  // The forms whose grants are open; the row rule's names are those of the last opened.
  const [opened, setOpened] = useState<string[]>([]);
  const open = opened.at(-1) ?? null;
  const { doc } = draft;

  // The checker on the unsaved role, with the names the open form's row rule may use.
  const checked = useChecked(app, 'roles', key, doc, open);

  if (!doc || !draft.h) return <Spin />;
  const findings = checked?.diagnostics ?? [];
  const names: Name[] = checked?.names ?? [];
  const describe = (n: Name) => (n.label && typeof n.label === 'object' && !('outer' in n.label) ? label(n.label as Labels, language) : n.kind);
  const grant = (form: string): Grant => doc.forms[form] ?? {};
  const setGrant = (form: string, next: Grant, mark?: string) => {
    const forms = { ...doc.forms };
    const clean: Grant = { ...next };
    if (!clean.rows) delete clean.rows;
    if (clean.fields && Object.keys(clean.fields).length === 0) delete clean.fields;
    if (!clean.operations?.length && !clean.rows && !clean.fields) delete forms[form];
    else forms[form] = clean;
    draft.change({ ...doc, forms }, mark ?? null);
  };
  const setMode = (form: string, field: string, mode: string) => {
    const fields = { ...(grant(form).fields ?? {}) };
    if (mode === '') delete fields[field];
    else fields[field] = mode;
    setGrant(form, { ...grant(form), fields });
  };
  const modeChoices = (f: FieldDoc) => [
    { value: '', label: f.personal_data ? d('roles.defaultMasked') : d('roles.defaultVisible') },
    ...MODES.filter((m) => m !== 'year_only' || ['date', 'datetime'].includes(f.type)).map((m) => ({ value: m, label: d(`roles.mode.${m}`) })),
  ];
  const formDocs = (forms.data?.items ?? []).map((f) => f.body as FormDoc);
  return (
    <Frame>
      <div className="role-editor">
        <DraftToolbar title={d('roles.title', { role: label(doc.label, language) || key })} back={designPaths.app(app, 'roles')} draft={draft} onPublish={() => void publishing.open()} />
        {draft.theirs && (
          <Alert type="warning" role="alert" title={d('conflict.title')} action={
            <Space><Button onClick={draft.reload}>{d('conflict.reload')}</Button><Button type="primary" onClick={() => draft.merged(doc)}>{d('roles.keepMine')}</Button></Space>
          } />
        )}
        {publishing.dialog}
        <Form layout="vertical" component="div" style={{ maxWidth: 960 }}>
          <LabelsInput id="role-label" name={d('props.label')} value={doc.label} findings={at(findings, '/label')} onChange={(v) => draft.change({ ...doc, label: v ?? {} }, 'label')} />
          <Form.Item label={d('roles.events')} htmlFor="role-events">
            <Select showSearch={{ optionFilterProp: 'label' }} id="role-events" mode="multiple" aria-label={d('roles.events')} value={doc.events ?? []}
              onChange={(v: string[]) => draft.change({ ...doc, events: v.length ? v : undefined } as RoleDoc)}
              options={(events.data?.items ?? []).map((e) => ({ value: e.key, label: label(e.body.label as Labels, language) || e.key }))} />
          </Form.Item>
        </Form>
        <h2 className="section-title">{d('roles.forms')}</h2>
        <Collapse activeKey={opened} onChange={(k) => setOpened((now) => {
        const next = Array.isArray(k) ? k.map(String) : [String(k)];
        return [...now.filter((f) => next.includes(f)), ...next.filter((f) => !now.includes(f))];
      })} items={formDocs.map((f) => {
          const g = grant(f.key);
          const formName = label(f.label, language) || f.key;
          return {
            key: f.key,
            label: <span>{formName} {g.operations?.length ? <small>({joinIn(language, g.operations.map((o) => d(`roles.op.${o as (typeof OPERATIONS)[number]}`)))})</small> : null}</span>,
            children: (
              <Form layout="vertical" component="div">
                <Form.Item label={d('roles.operations')}>
                  <Checkbox.Group aria-label={d('roles.operationsOf', { form: formName })} value={g.operations ?? []}
                    onChange={(v) => setGrant(f.key, { ...g, operations: OPERATIONS.filter((o) => (v as string[]).includes(o)) })}
                    options={OPERATIONS.map((o) => ({ value: o, label: d(`roles.op.${o}`) }))} />
                </Form.Item>
                <ExpressionProp id={`rows-${f.key}`} name={d('roles.rows', { form: formName })} value={g.rows ?? ''} path={`/forms/${f.key}/rows`}
                  findings={findings} names={open === f.key ? names : []} describe={describe}
                  onChange={(text) => setGrant(f.key, { ...g, rows: text }, `rows.${f.key}`)} />
                <Table rowKey="key" size="small" pagination={false} dataSource={f.fields} aria-label={d('roles.fieldsOf', { form: formName })} columns={[
                  { title: d('roles.field'), render: (_, x) => label(x.label, language) || x.key },
                  { title: d('roles.mode'), render: (_, x) => (
                    <Select showSearch={{ optionFilterProp: 'label' }} aria-label={d('roles.modeOf', { field: label(x.label, language) || x.key })} value={g.fields?.[x.key] ?? ''} style={{ width: 200 }}
                      onChange={(m: string) => setMode(f.key, x.key, m)} options={modeChoices(x)} />
                  ) },
                ]} />
              </Form>
            ),
          };
        })} />
        <RoleHolders app={app} role={key} />
      </div>
    </Frame>
  );
}
