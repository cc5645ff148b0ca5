import { CANNED } from './protocol';

/**
 * The fields of a canned reply: `{{visitor.name}}` or `{{visitor.name|there}}` (the text after `|` when the value is
 * empty), from the fixed whitelist `CANNED.fields`. Not a template language: no expressions, no HTML, no nesting;
 * anything else between braces is left as typed. Shared by the console (which fills) and the gateway (which refuses
 * a reply naming a field that does not exist). Never part of the widget.
 */
export type CannedField = (typeof CANNED.fields)[number];
export type CannedValues = Partial<Record<CannedField, string | undefined>>;

const FIELD = /\{\{\s*([a-z.]+)\s*(?:\|([^{}|]*))?\}\}/g;

function known(name: string): name is CannedField {
  return (CANNED.fields as readonly string[]).includes(name);
}

/** `text` with every known field replaced by its value, or its fallback (or nothing) when the value is empty. */
export function fillCannedReply(text: string, values: CannedValues): string {
  return text.replace(FIELD, (whole, name: string, fallback: string | undefined) => {
    if (!known(name)) return whole;
    const value = values[name]?.trim();
    return value ? value : (fallback ?? '').trim();
  });
}

/** The field names in `text` that are not in the whitelist (e.g. a typo such as `{{visitor.nmae}}`). */
export function unknownCannedFields(text: string): string[] {
  return [...text.matchAll(FIELD)].map((match) => match[1]!).filter((name) => !known(name));
}
