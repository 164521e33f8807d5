// JSON parsing that keeps the source text of every number (Kraken v2 sends
// book prices and sizes as JSON numbers, and its checksum hashes their digits
// as written, which JSON.parse loses: 0.10000000 → 0.1). Only ever run on text
// JSON.parse has already accepted, so it can assume well-formed input, and it
// builds the same tree: plain objects and arrays, later duplicate keys
// overwriting earlier ones in place, `__proto__` as an own property.

/** Source text of the number members of each object or array of a parsed tree. */
export type NumberSources = WeakMap<object, Map<string | number, string>>;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export function parseKeepingNumberText(text: string): { root: unknown; sources: NumberSources } {
  const sources: NumberSources = new WeakMap();
  let i = 0;

  const skipSpace = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };

  const readString = (): string => {
    const start = i;
    i++; // opening quote
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x5c /* \ */) i += 2;
      else if (c === 0x22 /* " */) break;
      else i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };

  const note = (holder: object, key: string | number, source: string): void => {
    let m = sources.get(holder);
    if (m === undefined) sources.set(holder, (m = new Map()));
    m.set(key, source);
  };

  // Returns the value; when it is a number, `lastNumber` holds its source text.
  let lastNumber: string | undefined;
  const readValue = (): unknown => {
    skipSpace();
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      i++;
      const o: Record<string, unknown> = {};
      skipSpace();
      if (text.charCodeAt(i) === 0x7d) {
        i++;
        return o;
      }
      for (;;) {
        skipSpace();
        const key = readString();
        skipSpace();
        i++; // ':'
        const value = readValue();
        if (key === '__proto__') {
          Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
        } else {
          o[key] = value;
        }
        if (typeof value === 'number') note(o, key, lastNumber!);
        else sources.get(o)?.delete(key);
        skipSpace();
        if (text.charCodeAt(i++) === 0x7d) return o;
      }
    }
    if (c === 0x5b /* [ */) {
      i++;
      const a: unknown[] = [];
      skipSpace();
      if (text.charCodeAt(i) === 0x5d) {
        i++;
        return a;
      }
      for (;;) {
        const value = readValue();
        if (typeof value === 'number') note(a, a.length, lastNumber!);
        a.push(value);
        skipSpace();
        if (text.charCodeAt(i++) === 0x5d) return a;
      }
    }
    if (c === 0x22) return readString();
    if (c === 0x74 /* t */) {
      i += 4;
      return true;
    }
    if (c === 0x66 /* f */) {
      i += 5;
      return false;
    }
    if (c === 0x6e /* n */) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) throw new SyntaxError(`not JSON at ${i}`);
    i += m[0].length;
    const value = Number(m[0]);
    lastNumber = m[0];
    return value;
  };

  const root = readValue();
  return { root, sources };
}
