// The one API client: typed from the platform OpenAPI document (`schema.d.ts`, generated
// by `npm run api` from `openapi/platform.json` into `generated/`); the session goes with it as an
// HttpOnly cookie. A 401 means the session ended: the app goes back to sign-in and then to the
// page it was on.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../generated/schema';

export type Schemas = components['schemas'];
export type Task = Schemas['Task'];
export type Notification = Schemas['Notification'];
export type Me = Schemas['Me'];
export type Failures = Schemas['Failures'];
export type Workspace = Schemas['Workspace'];
export type WorkspaceForm = Schemas['WorkspaceForm'];
/// A field as a form's metadata declares it (`/api/v1/schemas/form`), with its mode for
/// the user; record screens are driven by these at run time.
export interface FieldMeta {
  key: string;
  type: string;
  label: Record<string, string>;
  /// How the reader sees it: `masked` and `year_only` values are texts the server masked
  /// (`*******0001`, `1975-**-**`), shown as they come.
  mode: 'visible' | 'read_only' | 'year_only' | 'masked';
  scale?: number;
  options?: { value: string; label: Record<string, string> }[];
  lookup?: string[];
  form?: string;
  required?: boolean;
  help?: Record<string, string>;
  max_length?: number;
  currency?: string;
  accept?: string[];
  max_files?: number;
  max_size?: number;
  result_type?: string;
  visible_when?: string;
  /// A sub-table's columns.
  fields?: FieldMeta[];
}

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

/// Whether the reader sees `field` masked: its values are the server's masked texts, shown as
/// they are, never parsed as the field's type.
export const shownMasked = (field: FieldMeta): boolean => field.mode === 'masked' || field.mode === 'year_only';
