// A form's metadata as the designer edits it: the JSON the server keeps (`/api/v1/schemas/
// form`), changed only through these pure functions so that each change is one undoable
// step. Fields keep their keys; the layout's sections name fields by key.
import type { FieldType } from '../../api/client';

export type Labels = Record<string, string>;
export type FieldDoc = { key: string; type: FieldType; label: Labels } & Record<string, unknown>;
export interface Section { key: string; label: Labels; tab?: string | undefined; fields: string[] }
export interface Tab { key: string; label: Labels }
export interface LayoutDoc { columns?: number; tabs?: Tab[]; sections?: Section[] }
export type FormDoc = {
  key: string;
  label: Labels;
  fields: FieldDoc[];
  layout?: LayoutDoc;
  title_field?: string;
  validations?: { condition: string; message: Labels; field?: string }[];
} & Record<string, unknown>;

/// Every field type, in the palette's order.
export const TYPES: FieldType[] = [
  'text', 'long_text', 'integer', 'decimal', 'boolean', 'date', 'datetime', 'single_select', 'multi_select',
  'email', 'phone', 'relation', 'sub_table', 'attachment', 'formula',
];

/// A key not yet taken: `decimal_1`, `decimal_2`, …
export function freshKey(base: string, taken: string[]): string {
  for (let i = 1; ; i++) {
    const key = `${base}_${i}`.slice(0, 32);
    if (!taken.includes(key)) return key;
  }
}

/// A new field of `type`, labelled `names` (the type's name in each language, numbered),
/// with what its type needs to be valid where a sensible start exists.
export function newField(type: FieldType, taken: string[], names: Labels, forms: string[]): FieldDoc {
  const key = freshKey(type, taken);
  const n = key.slice(type.length + 1);
  const label = Object.fromEntries(Object.entries(names).map(([lang, name]) => [lang, `${name} ${n}`]));
  const field: FieldDoc = { key, type, label };
  if (type === 'decimal') Object.assign(field, { precision: 18, scale: 2 });
  if (type === 'single_select' || type === 'multi_select') {
    field.options = [{ value: 'a', label: { 'zh-CN': '选项 A', en: 'Option A' } }];
  }
  if (type === 'relation' && forms[0]) field.form = forms[0];
  if (type === 'sub_table') field.fields = [{ key: 'item', type: 'text', label: { 'zh-CN': '项目', en: 'Item' } }];
  if (type === 'formula') Object.assign(field, { expression: '', result_type: 'decimal' });
  return field;
}

/// The form with `field` put at `index` of its fields (and into `section`, if given).
export function insertField(doc: FormDoc, field: FieldDoc, index: number, section?: string): FormDoc {
  const fields = [...doc.fields];
  fields.splice(Math.max(0, Math.min(index, fields.length)), 0, field);
  const next = { ...doc, fields };
  return section ? setSection(next, field.key, section) : next;
}

/// The form with field `key` moved to position `to` of its fields.
export function moveField(doc: FormDoc, key: string, to: number): FormDoc {
  const from = doc.fields.findIndex((f) => f.key === key);
  if (from < 0 || from === to) return doc;
  const fields = [...doc.fields];
  const [moved] = fields.splice(from, 1);
  if (!moved) return doc;
  fields.splice(Math.max(0, Math.min(to, fields.length)), 0, moved);
  return { ...doc, fields };
}

/// The form without field `key`, nor its place in a section, nor its title role.
export function removeField(doc: FormDoc, key: string): FormDoc {
  const next: FormDoc = { ...doc, fields: doc.fields.filter((f) => f.key !== key) };
  if (next.title_field === key) delete next.title_field;
  if (doc.layout?.sections) {
    next.layout = { ...doc.layout, sections: doc.layout.sections.map((s) => ({ ...s, fields: s.fields.filter((f) => f !== key) })) };
  }
  return next;
}

/// The form with field `key`'s properties changed: a property set to `undefined` or `''`
/// is removed (the metadata leaves it out rather than holding an empty one; a flag turned
/// off is sent as `undefined`).
export function updateField(doc: FormDoc, key: string, patch: Record<string, unknown>): FormDoc {
  return {
    ...doc,
    fields: doc.fields.map((f) => {
      if (f.key !== key) return f;
      const next: Record<string, unknown> = { ...f, ...patch };
      for (const [k, v] of Object.entries(patch)) if (v === undefined || v === '') delete next[k];
      return next as FieldDoc;
    }),
  };
}

/// The form with field `key` in `section` (null: in none); the sections' order of fields
/// follows the form's.
export function setSection(doc: FormDoc, key: string, section: string | null): FormDoc {
  const sections = (doc.layout?.sections ?? []).map((s) => ({ ...s, fields: s.fields.filter((f) => f !== key) }));
  const into = sections.find((s) => s.key === section);
  if (into) into.fields = doc.fields.map((f) => f.key).filter((k) => k === key || into.fields.includes(k));
  return { ...doc, layout: { ...doc.layout, sections } };
}

/// The section field `key` is in, if any.
export function sectionOf(doc: FormDoc, key: string): string | null {
  return doc.layout?.sections?.find((s) => s.fields.includes(key))?.key ?? null;
}

/// The form's fields grouped as the canvas shows them: each section's in the form's
/// order, then those in none.
export function groups(doc: FormDoc): { section: Section | null; fields: FieldDoc[] }[] {
  const sections = doc.layout?.sections ?? [];
  const placed = new Set(sections.flatMap((s) => s.fields));
  const byKey = (keys: string[]) => doc.fields.filter((f) => keys.includes(f.key));
  const loose = doc.fields.filter((f) => !placed.has(f.key));
  return [...sections.map((s) => ({ section: s, fields: byKey(s.fields) })), { section: null, fields: loose }];
}

const TEXTS: FieldType[] = ['text', 'long_text', 'email', 'phone'];
/// Which types a type-bound property applies to, as the server checks it (a property set
/// on another type is refused there as `not_applicable`).
export const APPLIES: Record<string, FieldType[]> = {
  min: ['integer', 'decimal', 'date'], max: ['integer', 'decimal', 'date'],
  min_length: TEXTS, max_length: TEXTS, pattern: TEXTS,
  precision: ['decimal'], scale: ['decimal'], currency: ['decimal'],
  options: ['single_select', 'multi_select'], form: ['relation'], lookup: ['relation'], fields: ['sub_table'],
  expression: ['formula'], result_type: ['formula'], max_files: ['attachment'], max_size: ['attachment'], accept: ['attachment'],
};

/// Field `key` as a field of `type`: what applied to its old type only is dropped, what the
/// new one needs is started, and its key, labels and the rest stay.
export function changeType(doc: FormDoc, key: string, type: FieldType, names: Labels, forms: string[]): FormDoc {
  const field = doc.fields.find((f) => f.key === key);
  if (!field || field.type === type) return doc;
  const kept = Object.fromEntries(Object.entries(field).filter(([k]) => !(k in APPLIES) || APPLIES[k]?.includes(type)));
  const fresh = newField(type, [], names, forms);
  const started = Object.fromEntries(Object.entries(fresh).filter(([k]) => k in APPLIES && !(k in kept)));
  return { ...doc, fields: doc.fields.map((f) => (f.key === key ? ({ ...kept, ...started, type } as FieldDoc) : f)) };
}

/// The form's own properties changed (label, title field, layout, validations).
export function updateForm(doc: FormDoc, patch: Record<string, unknown>): FormDoc {
  const next: Record<string, unknown> = { ...doc, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined || v === '') delete next[k];
  return next as FormDoc;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/// Two analysts' saves of one form merged: `mine` (from `base`) over `theirs` (saved since
/// `base` was read). A field or form property only I changed is mine, one only they changed
/// is theirs, one we both changed is mine; fields they added stay, fields I added follow.
export function merge(base: FormDoc, mine: FormDoc, theirs: FormDoc): FormDoc {
  const find = (doc: FormDoc, key: string) => doc.fields.find((f) => f.key === key);
  const fields: FieldDoc[] = [];
  for (const their of theirs.fields) {
    const was = find(base, their.key);
    const my = find(mine, their.key);
    if (was && !my && same(was, their)) continue; // I deleted it; they did not touch it.
    fields.push(was && my && !same(was, my) ? my : their);
  }
  for (const my of mine.fields) {
    if (!find(base, my.key) && !find(theirs, my.key)) fields.push(my);
  }
  const merged: Record<string, unknown> = { ...theirs };
  for (const k of new Set([...Object.keys(mine), ...Object.keys(base)])) {
    if (k === 'fields' || same(mine[k], base[k])) continue;
    if (mine[k] === undefined) delete merged[k];
    else merged[k] = mine[k];
  }
  return { ...(merged as FormDoc), fields };
}

/// What changed between two saves of a form, by field key: added, removed, changed.
export function changedFields(before: FormDoc, after: FormDoc): { added: FieldDoc[]; removed: FieldDoc[]; changed: FieldDoc[] } {
  const keyed = (doc: FormDoc) => new Map(doc.fields.map((f) => [f.key, f]));
  const [b, a] = [keyed(before), keyed(after)];
  return {
    added: after.fields.filter((f) => !b.has(f.key)),
    removed: before.fields.filter((f) => !a.has(f.key)),
    changed: after.fields.filter((f) => b.has(f.key) && !same(b.get(f.key), f)),
  };
}
