// Instants shown in the reader's zone (theirs, else their app's: `ZoneContext`), with the
// zone said.
export function formatInstant(iso: string, language: string, zone: string, { sayZone = true } = {}): string {
  const text = formatter(`${language} ${zone}`, () => new Intl.DateTimeFormat(language, {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  })).format(new Date(iso));
  // A column of instants says its zone once, in its header.
  return sayZone ? `${text} (${zone})` : text;
}

// A formatter is costly to make and a list makes one per cell: each is made once.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let found = formatters.get(key);
  if (!found) {
    found = make();
    formatters.set(key, found);
  }
  return found;
}

/// An exact decimal as the API gives it (a string), grouped by thousands at its scale;
/// never through a float. A masked value (`137****0001`) is shown as it came.
export function formatDecimal(value: string, scale = 2): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) return value;
  const [, sign, whole = '0', fraction = ''] = match;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const digits = scale > 0 ? `.${fraction.padEnd(scale, '0').slice(0, scale)}` : '';
  return `${sign}${grouped}${digits}`;
}

/// The wall-clock parts of an instant in a zone.
function wallParts(at: number, zone: string): number[] {
  const parts = formatter(`wall ${zone}`, () => new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  })).formatToParts(new Date(at));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return [part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')];
}

/// How far a zone's clocks are ahead of UTC at an instant, in milliseconds.
function offset(at: number, zone: string): number {
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = wallParts(at, zone);
  return Date.UTC(y, mo, d, h, mi, s) - Math.floor(at / 1000) * 1000;
}

/// An instant as `YYYY-MM-DDTHH:mm` on the zone's clocks (a date-time input's value).
export function toWallClock(iso: string, zone: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0] = wallParts(at, zone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${y}-${two(mo + 1)}-${two(d)}T${two(h)}:${two(mi)}`;
}

/// A time on the zone's clocks (`YYYY-MM-DDTHH:mm`) as an RFC 3339 instant in UTC; the
/// offset is looked up at that time, so summer time is right where a zone has it.
export function fromWallClock(wall: string, zone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wall);
  if (!m) return null;
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  const first = guess - offset(guess, zone);
  const at = guess - offset(first, zone);
  return new Date(at).toISOString().replace('.000Z', 'Z');
}
