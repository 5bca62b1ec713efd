// What a list asks the server for: all of it goes into the request (the API's own
// parameters), nothing is filtered or sorted in the browser.
import type { FieldMeta, WorkspaceForm } from '../../api/client';
import type { ListParams } from '../../api/queries';
import { kindOf } from '../../fields/kinds';

export interface Query {
  where: string;
  search: string;
  sort: string | null;
  columns: string[];
}

/// The fields a list can show, as their kinds say.
export function listedFields(form: WorkspaceForm): FieldMeta[] {
  return form.fields.filter((f) => kindOf(f).listed);
}

/// The list as it first opens: the first ten fields it can show.
export function initialQuery(form: WorkspaceForm): Query {
  return { where: '', search: '', sort: null, columns: listedFields(form).slice(0, 10).map((f) => f.key) };
}

export function params(q: Query): ListParams {
  const p: ListParams = { fields: q.columns.join(',') };
  if (q.sort) p.sort = q.sort;
  if (q.where) p.where = q.where;
  if (q.search.trim()) p.search = q.search.trim();
  return p;
}

export const initialParams = (form: WorkspaceForm): ListParams => params(initialQuery(form));
