// The one expression editor, for every expression box of every designer (formulas,
// `visible_when`, validations, row rules; rule and gateway conditions later): CodeMirror 6
// with the language's tokens coloured, completion of the names the server says the
// expression may use (fields, through relations too, related rows, decision outputs,
// functions, `$user.`), and the server's own checker's findings underlined where they are,
// with their message. Nothing here decides validity.
import { useEffect, useRef } from 'react';
import { autocompletion, closeBrackets, type CompletionContext } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorState, RangeSetBuilder } from '@codemirror/state';
import { Decoration, EditorView, keymap, ViewPlugin, type DecorationSet, type ViewUpdate } from '@codemirror/view';
import { tokenize } from './tokens';
import { useJoin } from '../../i18n';

/// A name an expression may use, as the server's check gives it.
export interface Name { name: string; kind: string; type: string; label: unknown }
/// A finding of the checker, at UTF-16 offsets of the text.
export interface Finding { from: number; to: number; message: string }

const marks = Object.fromEntries(
  ['number', 'text', 'keyword', 'name', 'operator', 'punctuation'].map((c) => [c, Decoration.mark({ class: `tok-${c}` })]),
);

function colour(view: EditorView): DecorationSet {
  const builder = new RangeSetBuilder<Decoration>();
  for (const t of tokenize(view.state.doc.toString())) {
    const mark = marks[t.cls];
    if (mark && t.to > t.from) builder.add(t.from, t.to, mark);
  }
  return builder.finish();
}

const highlighter = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = colour(view);
    }
    update(u: ViewUpdate) {
      if (u.docChanged) this.decorations = colour(u.view);
    }
  },
  { decorations: (v) => v.decorations },
);

/// Completes the name being typed (letters, digits, `_`, `.` and `$`).
function completer(names: () => Name[], describe: (n: Name) => string) {
  return (ctx: CompletionContext) => {
    const word = ctx.matchBefore(/[$\w.]+/);
    if (!word && !ctx.explicit) return null;
    const from = word?.from ?? ctx.pos;
    return {
      from,
      options: names().map((n) => ({
        label: n.name,
        type: n.kind === 'function' ? 'function' : n.kind === 'user' ? 'variable' : 'property',
        detail: describe(n),
        ...(n.kind === 'function' ? { apply: `${n.name}(` } : {}),
      })),
      validFor: /^[$\w.]*$/,
    };
  };
}

export function ExpressionEditor({ value, onChange, label, names, findings, describe, id }: {
  value: string;
  onChange: (text: string) => void;
  /// Its accessible name.
  label: string;
  names: Name[];
  findings: Finding[];
  describe: (n: Name) => string;
  id?: string;
}) {
  const join = useJoin();
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef({ onChange, names, describe });
  latest.current = { onChange, names, describe };

  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          history(),
          closeBrackets(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          highlighter,
          autocompletion({ override: [completer(() => latest.current.names, (n) => latest.current.describe(n))] }),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label, ...(id ? { id } : {}), 'aria-multiline': 'true' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => editor.destroy();
  }, []);

  // A value changed from outside (undo, a rename) replaces the text.
  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) {
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
    }
  }, [value]);

  // The checker's findings for this text, underlined with their messages.
  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const length = editor.state.doc.length;
    const diagnostics: Diagnostic[] = findings.map((f) => ({
      from: Math.min(f.from, length),
      to: Math.min(Math.max(f.to, f.from), length),
      severity: 'error',
      message: f.message,
    }));
    editor.dispatch(setDiagnostics(editor.state, diagnostics));
  }, [findings]);

  const said = join(findings.map((f) => f.message), 'sentences');
  return (
    <div className={`expression-editor${findings.length ? ' has-findings' : ''}`}>
      <div ref={host} />
      {said && <div className="expression-findings" role="status">{said}</div>}
    </div>
  );
}
