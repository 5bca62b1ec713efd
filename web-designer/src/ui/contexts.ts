// What the screens deep inside the shell share: the signed-in user's workspace (their apps,
// the forms they may read with each field's mode for them), the zone instants are shown in,
// and the shell's own doings a screen may ask for (opening a task in the drawer).
import { createContext, useContext } from 'react';
import type { Me, Task, Workspace, WorkspaceForm } from '../api/client';

export const WorkspaceContext = createContext<Workspace | null>(null);

/// The zone instants are shown and typed in: the user's own, else their app's.
export const ZoneContext = createContext<string>('UTC');

export interface Shell {
  me: Me;
  /// Opens a task in the drawer over the current screen.
  openTask: (task: Task) => void;
}

export const ShellContext = createContext<Shell | null>(null);

/// A form of an app in the user's workspace, if they may read it.
export function useForm(app: string | undefined, form: string | undefined): WorkspaceForm | undefined {
  const workspace = useContext(WorkspaceContext);
  return workspace?.apps.find((a) => a.key === app)?.forms.find((f) => f.key === form);
}

/// The forms of an app the user may read.
export function useForms(app: string | undefined): WorkspaceForm[] {
  const workspace = useContext(WorkspaceContext);
  return workspace?.apps.find((a) => a.key === app)?.forms ?? [];
}
