// The route table: each screen's URL pattern and its component, imported lazily so a
// screen's code loads when it is first opened. Designers register here
// (`/apps/:app/design/forms/:form` → `./designer/form/…`) and load only when opened; the
// runtime never imports designer code.
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { match, type Params } from './ui/router';

export interface Route {
  pattern: string;
  screen: LazyExoticComponent<ComponentType<{ params: Params }>>;
}

const Inbox = lazy(() => import('./runtime/inbox/Inbox'));
const RecordList = lazy(() => import('./runtime/list/RecordList'));
const RecordPage = lazy(() => import('./runtime/record/RecordPage'));
const NotFound = lazy(() => import('./runtime/NotFound'));
const Outbox = lazy(() => import('./runtime/outbox/Outbox'));

/// What an unknown path opens.
export const NOT_FOUND: Route = { pattern: '*', screen: NotFound };

export const ROUTES: Route[] = [
  { pattern: '/', screen: Inbox },
  { pattern: '/apps/:app/forms/:form', screen: RecordList },
  { pattern: '/apps/:app/forms/:form/new', screen: RecordPage },
  { pattern: '/apps/:app/forms/:form/records/:id', screen: RecordPage },
  { pattern: '/apps/:app/outbox', screen: Outbox },
];

/// The route `path` opens and its params; an unknown path says so.
export function resolve(path: string): { route: Route; params: Params } {
  for (const route of ROUTES) {
    const params = match(route.pattern, path);
    if (params) return { route, params };
  }
  return { route: NOT_FOUND, params: {} };
}
