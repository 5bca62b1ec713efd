// A server's refusal of one value, said in the reader's language: the problem's `code`
// picks the locale file's sentence, the field's metadata fills it in (its label, bounds,
// scale), a validation's message comes in the app's own languages. A code the locale
// files do not know yet is shown as the server wrote it.
import type { FieldMeta, Problem, ProblemItem } from '../api/client';
import { fill, label, translate, translations, type Language } from '../i18n';

export function fieldProblem(e: ProblemItem, field: FieldMeta | undefined, language: Language): string {
  if (e.code === 'validation' && e.texts) return label(e.texts, language) || e.message;
  const sentence = translations(language)[`problem.${e.code}`];
  if (sentence === undefined) return e.message;
  const bound = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return fill(sentence, {
    field: label(field?.label, language) || e.path.split('/').pop() || '',
    min: bound(field?.min ?? field?.min_length),
    max: bound(field?.max ?? field?.max_length ?? field?.max_files),
    scale: bound(field?.scale),
  });
}

/// The field a problem's path points at, in a form's fields (`/proposals/0/amount` is
/// the sub-table's `amount` column).
export function fieldAt(fields: FieldMeta[], path: string): FieldMeta | undefined {
  const parts = path.replace(/^\//, '').split('/').filter((p) => !/^\d+$/.test(p));
  let within: FieldMeta[] = fields;
  let found: FieldMeta | undefined;
  for (const key of parts) {
    found = within.find((f) => f.key === key);
    if (!found) return undefined;
    within = found.fields ?? [];
  }
  return found;
}

/// A refusal as a whole (not at one field), in the reader's language: the locale files'
/// sentence for its `code`, else the server's own words behind "the request failed".
export function refusalText(p: Partial<Problem> | undefined, language: Language, fallback = ''): string {
  const known = p?.code ? (translations(language)[`refusal.${p.code}`] ?? null) : null;
  return known ?? translate(language, 'error.generic', { detail: p?.detail || fallback });
}

/// Where the server found the `where` text wrong: its code, its (English) message and the
/// span of the mistake.
export interface WhereProblem {
  code?: string | undefined;
  message: string;
  span?: [number, number] | undefined;
}

/// A `where` problem in the reader's language, by its code (`expr.<code>` in the locale
/// files), naming the marked text; the server's own words for a code not worded here.
export function whereProblemText(problem: WhereProblem, text: string, language: Language): string {
  const [start, end] = (problem.span ?? [0, 0]).map((b) => byteIndex(text, b)) as [number, number];
  const at = text.slice(start, end).trim();
  const code = problem.code === 'syntax' && start >= text.trimEnd().length ? 'incomplete' : problem.code;
  const sentence = code ? translations(language)[`expr.${code}`] : undefined;
  return sentence === undefined ? problem.message : fill(sentence, { at: at || text.trim() });
}

/// The string index of a UTF-8 byte offset (the server's spans count bytes).
export function byteIndex(text: string, byte: number): number {
  let bytes = 0;
  let index = 0;
  for (const ch of text) {
    if (bytes >= byte) break;
    bytes += new TextEncoder().encode(ch).length;
    index += ch.length;
  }
  return index;
}

