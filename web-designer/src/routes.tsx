// The route table: each screen's URL pattern and its component, imported lazily so a
// screen's code loads when it is first opened. The designers (`/design/…`, `./designer/`)
// load only when one is opened; the runtime never imports designer code.
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
const ImportScreen = lazy(() => import('./runtime/import/Import'));
const Outbox = lazy(() => import('./runtime/outbox/Outbox'));
const Channels = lazy(() => import('./runtime/outbox/Channels'));
const Dashboard = lazy(() => import('./runtime/dashboard/Dashboard'));
const Apps = lazy(() => import('./designer/Apps'));
const AppDesign = lazy(() => import('./designer/app/AppDesign'));
const FormDesigner = lazy(() => import('./designer/form/FormDesigner'));
const RoleEditor = lazy(() => import('./designer/roles/RoleEditor'));

/// What an unknown path opens.
export const NOT_FOUND: Route = { pattern: '*', screen: NotFound };

export const ROUTES: Route[] = [
  { pattern: '/', screen: Inbox },
  { pattern: '/apps/:app/forms/:form', screen: RecordList },
  { pattern: '/apps/:app/forms/:form/new', screen: RecordPage },
  { pattern: '/apps/:app/forms/:form/import', screen: ImportScreen },
  { pattern: '/apps/:app/forms/:form/records/:id', screen: RecordPage },
  { pattern: '/apps/:app/outbox', screen: Outbox },
  { pattern: '/apps/:app/channels', screen: Channels },
  { pattern: '/apps/:app/dashboards/:dashboard', screen: Dashboard },
  { pattern: '/design', screen: Apps },
  { pattern: '/design/apps/:app', screen: AppDesign },
  { pattern: '/design/apps/:app/forms/:form', screen: FormDesigner },
  { pattern: '/design/apps/:app/roles/:role', screen: RoleEditor },
];

/// The route `path` opens and its params; an unknown path says so.
export function resolve(path: string): { route: Route; params: Params } {
  for (const route of ROUTES) {
    const params = match(route.pattern, path);
    if (params) return { route, params };
  }
  return { route: NOT_FOUND, params: {} };
}
