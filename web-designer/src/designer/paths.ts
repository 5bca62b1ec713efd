// The designers' URLs, by what they show (the route table maps them to screens).
import { href } from '../ui/router';

export const designPaths = {
  apps: () => '/design',
  app: (app: string, tab?: string) => href('/design/apps/:app', { app }) + (tab ? `?tab=${tab}` : ''),
  form: (app: string, form: string) => href('/design/apps/:app/forms/:form', { app, form }),
  role: (app: string, role: string) => href('/design/apps/:app/roles/:role', { app, role }),
};
