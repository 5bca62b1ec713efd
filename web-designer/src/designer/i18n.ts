// The designers' UI strings, loaded with the designers' code (never with the runtime's):
// the same `{name}` filling and languages as the runtime's locale files.
import { useContext } from 'react';
import { fill, LanguageContext, type Language } from '../i18n';
import zh from './zh-CN.json';
import en from './en.json';

export type DKey = keyof typeof zh;
const strings: Record<Language, Record<DKey, string>> = { 'zh-CN': zh, en };

export function dTranslate(language: Language, key: DKey, values: Record<string, string | number> = {}): string {
  return fill(strings[language][key] ?? key, values);
}

export function useD() {
  const language = useContext(LanguageContext);
  return (key: DKey, values?: Record<string, string | number>) => dTranslate(language, key, values);
}
