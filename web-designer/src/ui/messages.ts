// What the outbox says, in words: a message's text in the reader's language.
import type { Language } from '../i18n';

/// A message's text in the reader's language: its `messages` in theirs, else its `message`.
export function messageText(body: unknown, language: Language): string {
  if (typeof body === 'string') return body;
  if (!body || typeof body !== 'object') return '';
  const { message, messages } = body as { message?: unknown; messages?: Record<string, string> };
  return messages?.[language] ?? (typeof message === 'string' ? message : JSON.stringify(body));
}
