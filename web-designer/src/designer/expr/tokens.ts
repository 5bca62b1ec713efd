// How expression text splits into tokens for colouring: the lexer's rules (engine-rule's
// `lexer.rs`), tested against the same corpus (`engine-rule/tests/data/tokens.json`) so
// the two agree on every token. It only colours: whether an expression is valid is the
// server's checker's to say, never this.

export type TokenClass = 'number' | 'text' | 'keyword' | 'name' | 'operator' | 'punctuation';
/// A token at `from..to` (UTF-16 offsets, as the editor counts).
export interface Token { from: number; to: number; cls: TokenClass }

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);
const OPS = ['==', '!=', '<>', '<=', '>=', '&&', '||', '=', '<', '>', '+', '-', '*', '/', '&', '!'];
const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const nameStart = (c: string) => c === '$' || c === '_' || /[A-Za-z]/.test(c);
const namePart = (c: string | undefined) => c !== undefined && (c === '_' || /[A-Za-z0-9]/.test(c));

/// The tokens of `text`. Where the lexer would stop with an error (an unknown character, an
/// unclosed text) this goes on, so what follows is still coloured.
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    const from = i;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if ('()[],.'.includes(c)) {
      out.push({ from, to: ++i, cls: 'punctuation' });
    } else if (digit(c)) {
      while (digit(text[i])) i++;
      if (text[i] === '.' && digit(text[i + 1])) {
        i++;
        while (digit(text[i])) i++;
      }
      out.push({ from, to: i, cls: 'number' });
    } else if (c === "'" || c === '"') {
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === '\\' ? 2 : 1;
      i = Math.min(i + 1, text.length);
      out.push({ from, to: i, cls: 'text' });
    } else if (nameStart(c)) {
      i++;
      while (namePart(text[i])) i++;
      out.push({ from, to: i, cls: KEYWORDS.has(text.slice(from, i)) ? 'keyword' : 'name' });
    } else {
      const op = OPS.find((o) => text.startsWith(o, i));
      if (op) {
        i += op.length;
        out.push({ from, to: i, cls: 'operator' });
      } else {
        i += c.length || 1;
      }
    }
  }
  return out;
}

/// The UTF-16 offset of byte `byte` of `text` as UTF-8 (the server's spans count bytes).
export function fromBytes(text: string, byte: number): number {
  let bytes = 0;
  let i = 0;
  for (const ch of text) {
    if (bytes >= byte) return i;
    bytes += new TextEncoder().encode(ch).length;
    i += ch.length;
  }
  return text.length;
}
