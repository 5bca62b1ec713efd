// What a list asks the server for, and its first page asked for as soon as the user asks
// for the list (the menu's click) rather than once the list has rendered: the request and
// the list's first render overlap.
import { api, type FieldMeta, type WorkspaceForm } from '../api/client';
import { LISTED } from '../record/cells';

/// The first page small, for the first rows soon (a tall screen's worth, with some to
/// scroll); the next ones larger.
export const FIRST = 30;
export const PAGE = 100;

/// What the list asks the server for: all of it goes into the request, nothing is
/// filtered or sorted in the browser.
export interface Query {
  where: string;
  search: string;
  sort: string | null;
  columns: string[];
}

export type Params = Record<string, string | number | boolean>;

/// The fields a list can show, and the list as it first opens: its first ten of them.
export function listedFields(form: WorkspaceForm): FieldMeta[] {
  return (form.fields as unknown as FieldMeta[]).filter((f) => LISTED.has(f.type));
}

export function initialQuery(form: WorkspaceForm): Query {
  return { where: '', search: '', sort: null, columns: listedFields(form).slice(0, 10).map((f) => f.key) };
}

export function params(q: Query): Params {
  const p: Params = { fields: q.columns.join(',') };
  if (q.sort) p.sort = q.sort;
  if (q.where) p.where = q.where;
  if (q.search.trim()) p.search = q.search.trim();
  return p;
}

/// The request for one page: the first (`after` none) with the count of all.
export function pageQuery(q: Query, after: string | null): Params {
  return { ...params(q), limit: after ? PAGE : FIRST, ...(after ? { after } : { count: true }) };
}

function ask(app: string, form: string, query: Params) {
  return api.GET('/api/v1/apps/{app}/forms/{form}/records', { params: { path: { app, form }, query } });
}

let early: { key: string; answer: ReturnType<typeof ask> } | null = null;

/// Asks for the first page of `form`'s list as it first opens, for the list to take.
export function prefetch(app: string, form: WorkspaceForm) {
  const query = pageQuery(initialQuery(form), null);
  early = { key: JSON.stringify([app, form.key, query]), answer: ask(app, form.key, query) };
}

/// One page of a list: the one asked for early if it is this one, else asked for now.
export function fetchPage(app: string, form: string, query: Params): ReturnType<typeof ask> {
  const key = JSON.stringify([app, form, query]);
  const taken = early?.key === key ? early.answer : null;
  early = null;
  return taken ?? ask(app, form, query);
}
