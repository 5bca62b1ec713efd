// One draft document being designed: read with its revision, changed only through an
// undo/redo stack (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y outside text boxes; Ctrl+S saves),
// saved over the revision it was read at (refused, with theirs to merge or reload, when
// another analyst saved meanwhile), leaving guarded while unsaved. A failed save changes
// nothing of what is being designed.
import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { invalidate } from '../api/queries';
import { guardLeaving } from '../ui/router';
import { check, readDraft, saveDraft, type Checked, type Json } from './api';
import { dTranslate, useD } from './i18n';
import { begin, record, redo, undo, type History } from './history';
import { joinIn, type Language } from '../i18n';

/// What the last save said, in whichever language the reader reads now.
export type Notice = { type: 'success' | 'error' | 'info'; text: (language: Language) => string } | null;

/// Whether a key press is typing into a text box (its own undo applies there).
const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA'].includes(target.tagName));

export function useDraft<T extends Json>(app: string, kind: string, key: string, blank: () => T) {
  const d = useD();
  const client = useQueryClient();
  const [saved, setSaved] = useState<{ doc: T; revision: number } | null>(null);
  const [h, setH] = useState<History<T> | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const [theirs, setTheirs] = useState<{ doc: T; revision: number } | null>(null);

  async function load() {
    const read = await readDraft(app, kind, key);
    const doc = (read?.doc as T | undefined) ?? blank();
    setSaved({ doc, revision: read?.revision ?? 0 });
    setH(begin(doc));
  }
  useEffect(() => void load(), [app, kind, key]);

  const doc = h?.present ?? null;
  const dirty = saved !== null && doc !== null && doc !== saved.doc;
  useEffect(() => {
    guardLeaving(dirty ? d('designer.leave') : null);
    return () => guardLeaving(null);
  }, [dirty]);

  const change = (next: T, mark: string | null = null) => setH((now) => (now ? record(now, next, mark) : now));
  const step = (how: typeof undo) => setH((now) => (now ? how(now) : now));

  async function save(): Promise<boolean> {
    if (!doc || !saved) return false;
    setBusy(true);
    const answer = await saveDraft(app, kind, key, doc, saved.revision);
    setBusy(false);
    if (answer.ok) {
      setSaved({ doc, revision: answer.revision });
      const count = answer.diagnostics.length;
      setNotice({ type: count ? 'info' : 'success', text: (l) => (count ? dTranslate(l, 'designer.savedWithFindings', { count }) : dTranslate(l, 'designer.saved')) });
      void invalidate(client, ['/api/v1/apps'], { app });
      return true;
    }
    if (answer.changed) {
      const read = await readDraft(app, kind, key);
      if (read) setTheirs({ doc: read.doc as T, revision: read.revision });
      return false;
    }
    const messages = (answer.problem?.errors ?? []).map((e) => e.message);
    const detail = answer.problem?.detail || '';
    setNotice({ type: 'error', text: (l) => dTranslate(l, 'designer.saveFailed', { why: joinIn(l, messages, 'sentences') || detail }) });
    return false;
  }

  useEffect(() => {
    const keys = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const k = e.key.toLowerCase();
      if (k === 's') {
        e.preventDefault();
        void save();
      } else if ((k === 'z' || k === 'y') && !typing(e.target)) {
        e.preventDefault();
        step(k === 'y' || e.shiftKey ? redo : undo);
      }
    };
    window.addEventListener('keydown', keys);
    return () => window.removeEventListener('keydown', keys);
  });

  return {
    doc, saved, h, dirty, busy, notice, setNotice, theirs, load, change, save,
    undo: () => step(undo),
    redo: () => step(redo),
    /// Theirs taken, mine dropped.
    reload: () => {
      if (!theirs) return;
      setSaved(theirs);
      setH(begin(theirs.doc));
      setTheirs(null);
    },
    /// Mine merged over theirs, to save again over their revision.
    merged: (next: T) => {
      if (!theirs) return;
      setSaved(theirs);
      change(next);
      setTheirs(null);
    },
    dismiss: () => setTheirs(null),
  };
}

/// How long after a change the server's checker reads the unsaved draft.
const CHECK_DELAY = 400;

/// The server's checker on `doc` (draft `key` of `kind`, unsaved), a moment after each
/// change: its findings and the names its expressions may use (those of `form`, given).
export function useChecked(app: string, kind: string, key: string, doc: Json | null, form?: string | null): Checked | null {
  const [checked, setChecked] = useState<Checked | null>(null);
  useEffect(() => {
    if (!doc) return;
    const timer = window.setTimeout(() => {
      void check(app, kind, key, doc, form ? { form } : {}).then((c) => c && setChecked(c));
    }, CHECK_DELAY);
    return () => window.clearTimeout(timer);
  }, [doc, form]);
  return checked;
}
