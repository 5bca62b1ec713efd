// The signed-in user's workspace (their apps, the forms they may read with each field's
// mode for them), for the screens deep inside the shell that need a form's metadata.
import { createContext } from 'react';
import type { Workspace } from './api/client';

export const WorkspaceContext = createContext<Workspace | null>(null);

/// The zone instants are shown and typed in: the user's own, else their app's.
export const ZoneContext = createContext<string>('UTC');
