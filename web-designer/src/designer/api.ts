// What the designers ask the server, through the one typed client and the query layer:
// drafts read and saved with their revisions (`ETag` / `If-Match`), a document checked as
// it is typed, a field's uses and rename, the publish dry run, publishing and its
// requests, versions and their diff, the app's texts. Answers the screens cache are
// TanStack queries keyed by route, like the runtime's.
import { api, type Problem } from '../api/client';
import { answered, type Key } from '../api/queries';
import type { Name } from './expr/ExpressionEditor';

export type Json = Record<string, unknown>;
/// A finding of the server's checker on a draft: where (a JSON pointer in the document),
/// its code and message, and its span in an expression (bytes).
export interface Finding { path: string; code: string; message: string; span?: [number, number] }

export const designQueries = {
  apps: () => ({ queryKey: ['/api/v1/apps', {}] as Key, queryFn: async () => answered(await api.GET('/api/v1/apps')) as { items: AppSummary[] } }),
  app: (app: string) => ({
    queryKey: ['/api/v1/apps/{app}', { app }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/apps/{app}', { params: { path: { app } } })) as AppSummary,
  }),
  drafts: (app: string, kind: string) => ({
    queryKey: ['/api/v1/apps/{app}/drafts/{kind}', { app, kind }] as Key,
    queryFn: async () =>
      answered(await api.GET('/api/v1/apps/{app}/drafts/{kind}', { params: { path: { app, kind } } })) as { items: { key: string; revision: number; body: Json }[] },
  }),
  versions: (app: string) => ({
    queryKey: ['/api/v1/apps/{app}/versions', { app }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/apps/{app}/versions', { params: { path: { app } } })) as { items: Json[] },
  }),
  diff: (app: string, from: string, to: string) => ({
    queryKey: ['/api/v1/apps/{app}/diff', { app, from, to }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/apps/{app}/diff', { params: { path: { app }, query: { from, to } } })) as { changes: Change[] },
  }),
  texts: (app: string) => ({
    queryKey: ['/api/v1/apps/{app}/texts', { app }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/apps/{app}/texts', { params: { path: { app } } })) as Json,
  }),
  requests: (app: string) => ({
    queryKey: ['/api/v1/apps/{app}/publish-requests', { app }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/apps/{app}/publish-requests', { params: { path: { app } } })) as { items: Json[] },
  }),
  uses: (app: string, form: string, field: string) => ({
    queryKey: ['/api/v1/apps/{app}/forms/{form}/fields/{field}/uses', { app, form, field }] as Key,
    queryFn: async () =>
      answered(await api.GET('/api/v1/apps/{app}/forms/{form}/fields/{field}/uses', { params: { path: { app, form, field } } })) as { items: Use[] },
  }),
};

export interface AppSummary { key: string; name: Record<string, string>; published_version?: number | null; publish_approval?: boolean; drafts?: Record<string, string[]> }
export interface Change { kind: string; path?: string; text: Record<string, string> | string; [k: string]: unknown }
export interface Use { path: string; of: string; key: string; text: string }

/// A draft and its revision, or null when there is none.
export async function readDraft(app: string, kind: string, key: string): Promise<{ doc: Json; revision: number } | null> {
  const answer = await api.GET('/api/v1/apps/{app}/drafts/{kind}/{key}', { params: { path: { app, kind, key } } });
  if (answer.response.status === 404) return null;
  const doc = answered(answer) as Json;
  return { doc, revision: Number((answer.response.headers.get('etag') ?? '"0"').replace(/"/g, '')) };
}

export type Saved =
  | { ok: true; revision: number; diagnostics: Finding[] }
  | { ok: false; changed: boolean; problem: Partial<Problem> | undefined };

/// Saves a draft over the revision it was read at (0: a new one): refused, not
/// overwritten, when someone saved it since (`changed`).
export async function saveDraft(app: string, kind: string, key: string, doc: Json, revision: number): Promise<Saved> {
  const answer = await api.PUT('/api/v1/apps/{app}/drafts/{kind}/{key}', {
    params: { path: { app, kind, key }, header: { 'If-Match': `"${revision}"` } },
    body: doc as never,
  });
  if (answer.data) {
    const data = answer.data as { revision: number; diagnostics: Finding[] };
    return { ok: true, revision: data.revision, diagnostics: data.diagnostics };
  }
  return { ok: false, changed: answer.response.status === 412, problem: answer.error as Partial<Problem> | undefined };
}

export interface Checked { diagnostics: Finding[]; names: Name[]; preview: { hidden: string[]; formulas: Json; errors: Finding[] } | null }

/// The server's checker on an unsaved document (and, for a form, what sample values come to).
export async function check(app: string, kind: string, key: string, document: Json, extra: { form?: string; values?: Json } = {}): Promise<Checked | null> {
  const answer = await api.POST('/api/v1/apps/{app}/check', { params: { path: { app } }, body: { kind, key, document, ...extra } as never });
  return (answer.data as Checked | undefined) ?? null;
}

/// Renames a field on the server, which rewrites every draft that reads it.
export async function rename(app: string, form: string, field: string, to: string) {
  const answer = await api.POST('/api/v1/apps/{app}/forms/{form}/fields/{field}/rename', { params: { path: { app, form, field } }, body: { to } });
  return { data: answer.data as { rewritten: Use[] } | undefined, problem: answer.error as Partial<Problem> | undefined };
}

export async function dryRun(app: string, request?: number) {
  const answer = request === undefined
    ? await api.POST('/api/v1/apps/{app}/publish/dry-run', { params: { path: { app } } })
    : await api.POST('/api/v1/apps/{app}/publish-requests/{id}/dry-run', { params: { path: { app, id: request } } });
  return { data: answer.data as DryRun | undefined, problem: answer.error as Partial<Problem> | undefined };
}

export interface DryRun {
  version: number;
  publishable: boolean;
  diagnostics: Finding[];
  tables: { form: string; sub_table?: string | null; table?: string; steps: string[]; conversions: Conversion[] }[];
  changes?: Change[];
}
export interface Conversion {
  field: string; converts: boolean; fit: number; refused: number;
  examples: { id: number; from: unknown; to: unknown }[];
  refused_records: { id: number; code: string; why: string }[];
}

/// Publishes the drafts: published (200), or a request filed for a second designer (202).
export async function publish(app: string) {
  const answer = await api.POST('/api/v1/apps/{app}/publish', { params: { path: { app } } });
  return { status: answer.response.status, data: answer.data as Json | undefined, problem: answer.error as Partial<Problem> | undefined };
}
