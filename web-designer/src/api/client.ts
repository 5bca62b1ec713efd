// The one API client: typed from the platform OpenAPI document (`schema.d.ts`, generated
// by `npm run api` from `openapi/platform.json` into `generated/`); the session goes with
// it as an HttpOnly cookie. Every request goes through it, uploads and downloads too, so a
// 401 anywhere means the session ended: the app goes back to sign-in and then to the page
// it was on.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../generated/schema';

export type Schemas = components['schemas'];
export type Task = Schemas['Task'];
export type TaskHolder = Schemas['TaskHolder'];
export type TaskDetail = Schemas['TaskDetail'];
export type Notification = Schemas['Notification'];
export type Me = Schemas['Me'];
export type Failures = Schemas['Failures'];
export type Workspace = Schemas['Workspace'];
export type WorkspaceApp = Schemas['WorkspaceApp'];
export type WorkspaceForm = Schemas['WorkspaceForm'];
/// A field as a form's metadata declares it, with its mode for the reader; record screens
/// are drawn from these at run time.
export type FieldMeta = Schemas['FieldMeta'];
export type FieldType = Schemas['FieldType'];
/// A record as the API gives it (decimals as strings, instants in RFC 3339 UTC).
export type Row = Schemas['Record'];
export type SectionItem = Schemas['SectionItem'];
export type TimelineEntry = Schemas['TimelineEntry'];
/// A problem+json answer, as the server writes every refusal, and one wrong place of it.
export type Problem = Schemas['Problem'];
export type ProblemItem = Schemas['ProblemItem'];

let onExpired: () => void = () => {};

/// What the app does when the server says the session has ended.
export function whenSessionEnds(handler: () => void) {
  onExpired = handler;
}

/// The session lives in an HttpOnly cookie the server set at sign-in: no script in the page
/// can read it, and the browser sends it with every request to Trellis (and to no one else).
const auth: Middleware = {
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith('/api/v1/auth/login')) onExpired();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '' });
api.use(auth);

/// Whether the reader sees `field` masked: its values are the server's masked texts, shown
/// as they are, never parsed as the field's type.
export const shownMasked = (field: FieldMeta): boolean => field.mode === 'masked' || field.mode === 'year_only';

/// A `fetch` for the client that sends with XMLHttpRequest, for its upload progress (fetch
/// reports none); the answer comes back as a `Response` like any other.
function withProgress(onProgress: (percent: number) => void): (request: Request) => Promise<Response> {
  return async (request) => {
    const body = await request.blob();
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(request.method, request.url);
      request.headers.forEach((value, name) => xhr.setRequestHeader(name, value));
      xhr.responseType = 'blob';
      xhr.upload.onprogress = (e) => onProgress(e.total ? Math.round((e.loaded / e.total) * 100) : 0);
      xhr.onload = () => {
        const headers = new Headers();
        for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
          const at = line.indexOf(':');
          if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
        }
        resolve(new Response(xhr.response as Blob, { status: xhr.status, statusText: xhr.statusText, headers }));
      };
      xhr.onerror = () => reject(new TypeError('upload failed'));
      xhr.send(body);
    });
  };
}

/// Uploads a file to `app` through the client, its progress told as it goes: an
/// attachment's, or (with `form`) a file to import into that form.
export function upload(app: string, file: File, onProgress: (percent: number) => void) {
  return api.POST('/api/v1/apps/{app}/files', { params: { path: { app }, query: { name: file.name } }, ...raw(file, onProgress) });
}

export function uploadImport(app: string, form: string, file: File, onProgress: (percent: number) => void) {
  const params = { path: { app, form }, query: { name: file.name } };
  return api.POST('/api/v1/apps/{app}/forms/{form}/imports', { params, ...raw(file, onProgress) });
}

/// A file sent as the body as it is, with its type, its progress told.
function raw(file: File, onProgress: (percent: number) => void) {
  return {
    body: file as never,
    bodySerializer: (body: unknown) => body as BodyInit,
    headers: { 'Content-Type': file.type || 'application/octet-stream' },
    fetch: withProgress(onProgress),
  };
}

export type ImportJob = Schemas['ImportJob'];
export type Uploaded = Schemas['Uploaded'];
export type MappingSpec = Schemas['MappingSpec'];
