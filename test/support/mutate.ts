// Shared by the tests that mutate real frames to probe rejects and engine agreement.

/** Replaces the `pick`-th (mod count) object member or array element, depth first. */
export function mutateOneField(root: unknown, replacement: unknown, pick: number): void {
  const slots: Array<[Record<string, unknown> | unknown[], string | number]> = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v))
      v.forEach((x, i) => {
        slots.push([v, i]);
        visit(x);
      });
    else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        slots.push([o, k]);
        visit(o[k]);
      }
    }
  };
  visit(root);
  const slot = slots[pick % Math.max(slots.length, 1)];
  if (slot === undefined) return;
  const [holder, key] = slot;
  if (Array.isArray(holder)) holder[key as number] = replacement;
  else holder[key as string] = replacement;
}
