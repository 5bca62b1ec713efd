// The form designer: the palette, the canvas, the property panel and the live preview of
// one form's draft (`useDraft`: every action undoable, saved over the revision read, a
// conflicting save merged or reloaded). The server's checker reads the unsaved draft as
// it changes; a field read elsewhere is deleted or renamed after its impact is shown.
import { useCallback, useContext, useDeferredValue, useRef, useState } from 'react';
import { closestCenter, DndContext, KeyboardSensor, PointerSensor, useSensor, useSensors, type DragEndEvent } from '@dnd-kit/core';
import { sortableKeyboardCoordinates } from '@dnd-kit/sortable';
import { Spin } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { FieldType } from '../../api/client';
import { invalidate } from '../../api/queries';
import { LanguageContext, label, joinIn } from '../../i18n';
import type { Params } from '../../ui/router';
import { designQueries, rename, type Json } from '../api';
import type { Name } from '../expr/ExpressionEditor';
import { dTranslate, useD } from '../i18n';
import { useChecked, useDraft } from '../useDraft';
import { DraftToolbar } from '../DraftToolbar';
import { designPaths } from '../paths';
import { usePublishing } from '../usePublishing';
import { Canvas, CANVAS_END } from './Canvas';
import { Conflict } from './Conflict';
import { FieldProperties } from './FieldProperties';
import { FormProperties } from './FormProperties';
import { Impact } from './Impact';
import { changeType, insertField, moveField, newField, removeField, sectionOf, setSection, updateField, type FormDoc } from './model';
import { Palette } from './Palette';
import { Preview } from './Preview';
import { Frame } from '../Frame';

const blank = (key: string): FormDoc => ({ key, label: { 'zh-CN': key, en: key }, fields: [] });

export default function FormDesigner({ params }: { params: Params }) {
  const app = params.app ?? '';
  const key = params.form ?? '';
  const d = useD();
  const language = useContext(LanguageContext);
  const client = useQueryClient();
  const draft = useDraft<FormDoc>(app, 'forms', key, () => blank(key));
  const { doc, saved, h, dirty } = draft;
  const [selected, setSelected] = useState<string | null>(null);
  const [impact, setImpact] = useState<{ field: string; mode: 'delete' | 'rename' } | null>(null);
  const forms = useQuery(designQueries.drafts(app, 'forms'));
  const publishing = usePublishing(app, async () => (draft.dirty ? draft.save() : true));
  // The preview follows the draft at a lower priority: the canvas answers a drop first.
  const previewed = useDeferredValue(doc);
  // The canvas's handlers stay the same between renders, so unchanged cards are not drawn again.
  const latest = useRef<{ select: (k: string) => void; remove: (k: string) => void }>({ select: () => {}, remove: () => {} });
  const onSelect = useCallback((k: string) => latest.current.select(k), []);
  const onDelete = useCallback((k: string) => latest.current.remove(k), []);

  const checked = useChecked(app, 'forms', key, doc);

  const change = draft.change;

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates, keyboardCodes: { start: ['Space'], cancel: ['Escape'], end: ['Space', 'Enter'] } }),
  );

  if (!doc || !saved || !h) return <Spin />;
  const otherForms = (forms.data?.items ?? []).map((f) => f.body as FormDoc).filter((f) => f.key !== key);
  const findings = checked?.diagnostics ?? [];
  const names: Name[] = checked?.names ?? [];
  const nameOf = (k: string) => label(doc.fields.find((f) => f.key === k)?.label, language) || k;
  const describe = (n: Name) => {
    const l = n.label as Record<string, unknown> | null;
    if (l && typeof l === 'object' && 'outer' in l) return `${label(l.outer as Json as Record<string, string>, language)} · ${label(l.inner as Record<string, string>, language)}`;
    return l ? label(l as Record<string, string>, language) : d(`names.${n.kind}` as Parameters<typeof d>[0]);
  };

  /// A type's name in each language, for a new field's first labels.
  const typeNames = (t: FieldType) => ({ 'zh-CN': dTranslate('zh-CN', `type.${t}`), en: dTranslate('en', `type.${t}`) });

  function add(type: FieldType, at?: number, section?: string | null) {
    if (!doc) return;
    const field = newField(type, doc.fields.map((f) => f.key), typeNames(type), otherForms.map((f) => f.key));
    const after = selected ? doc.fields.findIndex((f) => f.key === selected) + 1 : doc.fields.length;
    const into = section === undefined ? (selected ? sectionOf(doc, selected) : null) : section;
    change(insertField(doc, field, at ?? after, into ?? undefined));
    setSelected(field.key);
  }

  function dropped({ active, over }: DragEndEvent) {
    if (!over || !doc) return;
    const id = String(active.id);
    const target = String(over.id);
    const to = target === CANVAS_END ? doc.fields.length : doc.fields.findIndex((f) => f.key === target);
    const section = target === CANVAS_END ? null : sectionOf(doc, target);
    if (id.startsWith('new:')) return add(id.slice(4) as FieldType, to, section);
    if (id === target) return;
    let next = moveField(doc, id, to === doc.fields.length ? to - 1 : to);
    if (sectionOf(next, id) !== section) next = setSection(next, id, section);
    change(next);
  }

  async function renamed(to: string): Promise<string | null> {
    if (!impact) return null;
    if (dirty && !(await draft.save())) return d('impact.saveFirst');
    const done = await rename(app, key, impact.field, to);
    if (!done.data) return joinIn(language, (done.problem?.errors ?? []).map((e) => e.message), 'sentences') || done.problem?.detail || d('designer.failed');
    setImpact(null);
    await draft.load();
    setSelected(to);
    const count = done.data.rewritten.length;
    draft.setNotice({ type: 'success', text: (l) => dTranslate(l, 'impact.renamed', { to, count }) });
    void invalidate(client, ['/api/v1/apps'], { app });
    return null;
  }

  function remove(field: string) {
    if (!doc) return;
    change(removeField(doc, field));
    if (selected === field) setSelected(null);
    setImpact(null);
  }

  latest.current = {
    select: (k) => setSelected((now) => (now === k ? null : k)),
    remove: (k) => (inSaved(k) ? setImpact({ field: k, mode: 'delete' }) : remove(k)),
  };
  const field = doc.fields.find((f) => f.key === selected) ?? null;
  const index = field ? doc.fields.indexOf(field) : -1;
  const inSaved = (k: string) => saved.doc.fields.some((f) => f.key === k);
  return (
    <Frame>
      <div className="designer">
        <DraftToolbar title={d('designer.title', { form: label(doc.label, language) || key })} back={designPaths.app(app)} draft={draft} onPublish={() => void publishing.open()} />
        <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={dropped} accessibility={{
          screenReaderInstructions: { draggable: d('dnd.instructions') },
          announcements: {
            onDragStart: ({ active }) => d('dnd.picked', { field: String(active.id).startsWith('new:') ? d('dnd.newField') : nameOf(String(active.id)) }),
            onDragOver: ({ over }) => (over ? d('dnd.over', { field: over.id === CANVAS_END ? d('dnd.end') : nameOf(String(over.id)) }) : d('dnd.nowhere')),
            onDragEnd: ({ over }) => (over ? d('dnd.dropped', { field: over.id === CANVAS_END ? d('dnd.end') : nameOf(String(over.id)) }) : d('dnd.cancelled')),
            onDragCancel: () => d('dnd.cancelled'),
          },
        }}>
          <div className="designer-grid">
            <Palette onAdd={(t) => add(t)} />
            <Canvas doc={doc} selected={selected} onSelect={onSelect} onDelete={onDelete}
              problemsOf={(k) => findings.filter((f) => f.path.startsWith(`/fields/${doc.fields.findIndex((x) => x.key === k)}/`)).length} />
            <aside className="designer-properties" aria-label={d('props.title')}>
              {field ? (
                <FieldProperties doc={doc} field={field} index={index} findings={findings} names={names} describe={describe}
                  forms={otherForms} saved={inSaved(field.key)}
                  onPatch={(patch, mark) => {
                    change(updateField(doc, field.key, patch), mark ?? null);
                    if (typeof patch.key === 'string') setSelected(patch.key);
                  }}
                  onType={(t) => change(changeType(doc, field.key, t, typeNames(t), otherForms.map((f) => f.key)))}
                  onSection={(s) => change(setSection(doc, field.key, s))}
                  onRename={() => setImpact({ field: field.key, mode: 'rename' })} />
              ) : (
                <FormProperties doc={doc} findings={findings} names={names} describe={describe} onChange={change} />
              )}
            </aside>
            {previewed && <Preview app={app} doc={previewed} />}
          </div>
        </DndContext>
        {impact && (
          <Impact app={app} form={key} field={impact.field} name={nameOf(impact.field)} mode={impact.mode}
            onDelete={() => remove(impact.field)} onRename={renamed} onClose={() => setImpact(null)} />
        )}
        {draft.theirs && (
          <Conflict base={saved.doc} mine={doc} theirs={draft.theirs.doc} onReload={draft.reload} onMerge={draft.merged} onClose={draft.dismiss} />
        )}
        {publishing.dialog}
      </div>
    </Frame>
  );
}
