// Every designer action is undoable: the document's states as a stack, one entry per
// action. Typing into one property is one action, however many keys it takes (the edits
// of one `mark` within a pause merge). Pure, unit-tested.

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /// What the last change was (a property being typed), and when, for merging.
  mark: string | null;
  at: number;
}

/// How many actions back undo reaches.
export const DEPTH = 300;
/// Edits of one property closer than this are one action.
export const MERGE_MS = 1000;

export function begin<T>(present: T): History<T> {
  return { past: [], present, future: [], mark: null, at: 0 };
}

/// `next` as the new present: a new action, or (same `mark` within the pause) the last one
/// continued. Redo is gone after a new action.
export function record<T>(h: History<T>, next: T, mark: string | null = null, now = Date.now()): History<T> {
  if (next === h.present) return h;
  const merges = mark !== null && mark === h.mark && now - h.at < MERGE_MS && h.past.length > 0;
  const past = merges ? h.past : [...h.past, h.present].slice(-DEPTH);
  return { past, present: next, future: [], mark, at: now };
}

export function undo<T>(h: History<T>): History<T> {
  const last = h.past[h.past.length - 1];
  if (last === undefined) return h;
  return { past: h.past.slice(0, -1), present: last, future: [h.present, ...h.future], mark: null, at: 0 };
}

export function redo<T>(h: History<T>): History<T> {
  const [next, ...rest] = h.future;
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: rest, mark: null, at: 0 };
}

/// The document as the server now holds it: what "unsaved" is measured against.
export function rebase<T>(h: History<T>, present: T): History<T> {
  return { ...h, present, mark: null, at: 0 };
}
