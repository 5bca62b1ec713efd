// UI strings from the locale files; labels from metadata come in the app's own
// `{"zh-CN", "en"}` texts and are picked with `label`. zh-CN is the default.
import { createContext, useContext } from 'react';
import zh from './zh-CN.json';
import en from './en.json';

export type Language = 'zh-CN' | 'en';
export const LANGUAGES: Language[] = ['zh-CN', 'en'];
type Key = keyof typeof zh;

const strings: Record<Language, Record<Key, string>> = { 'zh-CN': zh, en };

export function translate(language: Language, key: Key, values: Record<string, string | number> = {}): string {
  return fill(strings[language][key] ?? key, values);
}

/// A sentence with its `{name}`s filled in.
export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
}

/// Every UI string of `language`, for a key built at run time (a problem's code).
export function translations(language: Language): Record<string, string> {
  return strings[language];
}

/// A metadata label in the chosen language; one the app has not translated falls back
/// visibly: the language it is in said after it (`Name (en)`), never passed off as a
/// translation.
export function label(texts: Record<string, string> | null | undefined, language: Language): string {
  if (!texts) return '';
  const own = texts[language];
  if (own !== undefined && own.trim() !== '') return own;
  const other = Object.entries(texts).find(([, text]) => text.trim() !== '');
  return other ? `${other[1]} (${other[0]})` : '';
}

export const LanguageContext = createContext<Language>('zh-CN');

/// Items joined as `language` joins them: names and options (`、` in Chinese, `, ` in
/// English), or sentences such as a problem's messages (`；`, `; `).
export function joinIn(language: Language, items: string[], kind: 'names' | 'sentences' = 'names'): string {
  return items.join(translate(language, kind === 'names' ? 'list.names' : 'list.sentences'));
}

/// `joinIn` in the reader's language.
export function useJoin() {
  const language = useContext(LanguageContext);
  return (items: string[], kind: 'names' | 'sentences' = 'names') => joinIn(language, items, kind);
}

export function useT() {
  const language = useContext(LanguageContext);
  return (key: Key, values?: Record<string, string | number>) => translate(language, key, values);
}

/// A word the server sends as a code (a task's `completed`, a message's `delivered`, a
/// channel's `sms`) in the reader's language: `kind.value` in the locale files, or the
/// code itself for one they do not know yet.
export function useNamed() {
  const language = useContext(LanguageContext);
  return (kind: 'status.task' | 'status.process' | 'status.message' | 'channel' | 'channels.kind' | 'channels.setting' | 'channels.to', value: unknown) => {
    const code = String(value ?? '');
    return translations(language)[`${kind}.${code}`] ?? code;
  };
}
