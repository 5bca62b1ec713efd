// The query layer: what the screens read from the server, cached and shared by TanStack
// Query. Each query is keyed by its API route (the OpenAPI path template) and its params,
// so two screens asking the same thing share one request and one answer, and a change
// invalidates by route what it may have changed. A refusal is thrown as the server's
// problem and read back with `problemOf`.
import { keepPreviousData, useInfiniteQuery, useQuery, type QueryClient } from '@tanstack/react-query';
import { api, type Problem } from './client';

/// A query's key: its route template, then what fills it in.
export type Key = readonly [string, Record<string, unknown>];

/// The first page of a list small, for the first rows soon (a tall screen's worth, with
/// some to scroll); the next ones larger.
export const FIRST = 30;
export const PAGE = 100;

/// Throws a refusal as its problem, for the query to hold as its error.
export function answered<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data !== undefined) return answer.data;
  const problem = (answer.error ?? { status: answer.response.status, detail: answer.response.statusText }) as Partial<Problem>;
  throw Object.assign(new Error(problem.detail ?? 'refused'), { problem, status: answer.response.status });
}

/// The server's problem a failed query holds (its status too, when no body came).
export function problemOf(error: unknown): (Partial<Problem> & { status?: number }) | undefined {
  if (error && typeof error === 'object' && 'problem' in error) {
    const { problem, status } = error as { problem: Partial<Problem>; status: number };
    return { ...problem, status };
  }
  return undefined;
}

export const queries = {
  me: () => ({ queryKey: ['/api/v1/auth/me', {}] as Key, queryFn: async () => answered(await api.GET('/api/v1/auth/me')) }),
  workspace: () => ({ queryKey: ['/api/v1/workspace', {}] as Key, queryFn: async () => answered(await api.GET('/api/v1/workspace')) }),
  notifications: () => ({
    queryKey: ['/api/v1/notifications', {}] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/notifications')),
  }),
  record: (app: string, form: string, id: number) => ({
    queryKey: ['/api/v1/apps/{app}/forms/{form}/records/{id}', { app, form, id }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/apps/{app}/forms/{form}/records/{id}', { params: { path: { app, form, id } } })),
  }),
  timeline: (app: string, form: string, id: number) => ({
    queryKey: ['/api/v1/apps/{app}/forms/{form}/records/{id}/timeline', { app, form, id }] as Key,
    queryFn: async () =>
      answered(await api.GET('/api/v1/apps/{app}/forms/{form}/records/{id}/timeline', { params: { path: { app, form, id } } })),
  }),
  page: (app: string, page: string, id: number) => ({
    queryKey: ['/api/v1/apps/{app}/pages/{page}/records/{id}', { app, page, id }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/apps/{app}/pages/{page}/records/{id}', { params: { path: { app, page, id } } })),
  }),
  views: (app: string, form: string) => ({
    queryKey: ['/api/v1/apps/{app}/forms/{form}/views', { app, form }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/apps/{app}/forms/{form}/views', { params: { path: { app, form } } })),
  }),
  /// The people a task may be handed to.
  takers: (id: number) => ({
    queryKey: ['/api/v1/tasks/{id}/takers', { id }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/tasks/{id}/takers', { params: { path: { id } } })),
  }),
  task: (id: number) => ({
    queryKey: ['/api/v1/tasks/{id}', { id }] as Key,
    queryFn: async () => answered(await api.GET('/api/v1/tasks/{id}', { params: { path: { id } } })),
  }),
};

/// What a list asks the server for: all of it goes into the request, nothing is filtered
/// or sorted in the browser.
export type ListParams = Record<string, string | number | boolean>;

/// One page of a form's records the reader may see.
async function records(app: string, form: string, query: ListParams) {
  return answered(await api.GET('/api/v1/apps/{app}/forms/{form}/records', { params: { path: { app, form }, query } }));
}

/// A form's records a page at a time with the API's cursor: the first page with the count
/// of all.
export function listQuery(app: string, form: string, params: ListParams) {
  return {
    queryKey: ['/api/v1/apps/{app}/forms/{form}/records', { app, form, ...params }] as Key,
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }: { pageParam: string | null }) => {
      return records(app, form, { ...params, limit: pageParam ? PAGE : FIRST, ...(pageParam ? { after: pageParam } : { count: true }) });
    },
    getNextPageParam: (last: { next?: string | null }) => last.next ?? undefined,
  };
}

export function useRecords(app: string, form: string, params: ListParams) {
  return useInfiniteQuery({ ...listQuery(app, form, params), placeholderData: keepPreviousData });
}

/// The caller's open tasks of one part of the inbox (only the overdue ones, asked), soonest
/// due first.
export function useTasks(whose: string, overdue = false) {
  return useInfiniteQuery({
    queryKey: ['/api/v1/tasks', { whose, overdue }] as Key,
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }: { pageParam: string | null }) => {
      const query = { limit: PAGE, whose, ...(overdue ? { overdue } : {}), ...(pageParam ? { after: pageParam } : {}) };
      return answered(await api.GET('/api/v1/tasks', { params: { query } }));
    },
    getNextPageParam: (last) => last.next ?? undefined,
    placeholderData: keepPreviousData,
  });
}

/// Related records searched by text, for a relation's picker.
export function useSearch(app: string, form: string, fields: string[], text: string, enabled: boolean) {
  const query: ListParams = { limit: 20, fields: fields.join(','), ...(text.trim() ? { search: text.trim() } : {}) };
  return useQuery({
    queryKey: ['/api/v1/apps/{app}/forms/{form}/records', { app, form, ...query }] as Key,
    queryFn: () => records(app, form, query),
    enabled,
    placeholderData: keepPreviousData,
  });
}

/// Every page's records of an infinite list, in order.
export function rowsOf<T>(pages: { items: T[] }[] | undefined): T[] {
  return (pages ?? []).flatMap((p) => p.items);
}

/// After a change: every query whose route starts with one of `routes` (and, when given,
/// whose params include `within`) is read again when next shown.
export function invalidate(client: QueryClient, routes: string[], within: Record<string, unknown> = {}) {
  return client.invalidateQueries({
    predicate: (q) => {
      const [route, params] = q.queryKey as Key;
      return (
        routes.some((r) => route.startsWith(r)) &&
        Object.entries(within).every(([k, v]) => !(k in (params ?? {})) || params[k] === v)
      );
    },
  });
}

/// What a record written may have changed: its form's lists and records, record pages and
/// timelines (its own and related ones), and the tasks and notifications its rules raised.
export function recordWritten(client: QueryClient, app: string) {
  return invalidate(client, ['/api/v1/apps/{app}/', '/api/v1/tasks', '/api/v1/notifications', '/api/v1/workspace'], { app });
}
