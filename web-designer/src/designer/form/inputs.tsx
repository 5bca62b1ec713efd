// Small inputs the property panels share: a label in both languages, a property's own
// finding from the server's checker beside it, an expression box with its findings.
import { Form, Input } from 'antd';
import type { ReactNode } from 'react';
import { LANGUAGES, useJoin } from '../../i18n';
import { ExpressionEditor, type Name } from '../expr/ExpressionEditor';
import { fromBytes } from '../expr/tokens';
import type { Finding } from '../api';
import { useD } from '../i18n';
import type { Labels } from './model';

/// A property's row: its label, the input, and the checker's finding at `path`, if any.
export function Prop({ name, findings, children, htmlFor }: { name: string; findings: Finding[]; children: ReactNode; htmlFor?: string }) {
  const join = useJoin();
  const said = join(findings.map((f) => f.message), 'sentences');
  return (
    <Form.Item label={name} {...(htmlFor ? { htmlFor } : {})} validateStatus={said ? 'error' : ''} help={said || undefined}>
      {children}
    </Form.Item>
  );
}

/// A text in both languages (`label`, `help`, an option's label).
export function LabelsInput({ id, name, value, findings, onChange }: {
  id: string; name: string; value: Labels | undefined; findings: Finding[]; onChange: (next: Labels | undefined) => void;
}) {
  const d = useD();
  const set = (lang: string, text: string) => {
    const next = { ...(value ?? {}), [lang]: text };
    if (text === '') delete next[lang];
    onChange(Object.keys(next).length ? next : undefined);
  };
  return (
    <Prop name={name} findings={findings}>
      {LANGUAGES.map((lang) => (
        <Input key={lang} id={`${id}-${lang}`} addonBefore={lang} aria-label={`${name} (${d(`lang.${lang}`)})`}
          value={value?.[lang] ?? ''} onChange={(e) => set(lang, e.target.value)} style={{ marginBottom: 4 }} />
      ))}
    </Prop>
  );
}

/// An expression property: the one editor, with the checker's findings at `path`.
export function ExpressionProp({ id, name, value, path, findings, names, describe, onChange }: {
  id: string; name: string; value: string; path: string; findings: Finding[]; names: Name[];
  describe: (n: Name) => string; onChange: (text: string) => void;
}) {
  const here = findings.filter((f) => f.path === path || f.path.startsWith(`${path}/`));
  const marks = here.map((f) => ({
    from: f.span ? fromBytes(value, f.span[0]) : 0,
    to: f.span ? fromBytes(value, f.span[1]) : value.length,
    message: f.message,
  }));
  return (
    <Form.Item label={<span id={`${id}-label`}>{name}</span>}>
      <ExpressionEditor id={id} value={value} onChange={onChange} label={name} names={names} findings={marks} describe={describe} />
    </Form.Item>
  );
}

/// The findings at exactly `path`.
export const at = (findings: Finding[], path: string) => findings.filter((f) => f.path === path);
