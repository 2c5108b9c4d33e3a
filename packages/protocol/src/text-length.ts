import type { StringOptions } from '@sinclair/typebox';

/**
 * A string's length as JSON Schema's `minLength`/`maxLength` and Ajv count
 * it: in Unicode code points, not the UTF-16 code units of `.length`.
 */

/** Unicode code points in `text`, as JSON Schema and Ajv count a string's length: a surrogate pair is one. */
export function codePointLength(text: string): number {
  let pairs = 0;
  for (let index = 0; index < text.length - 1; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        pairs++;
        index++;
      }
    }
  }
  return text.length - pairs;
}

/** Why `text` is shorter or longer than the schema allows, counted in code points, in Ajv's words; undefined when it is not. */
export function lengthProblem(schema: Pick<StringOptions, 'minLength' | 'maxLength'>, text: string): string | undefined {
  const { minLength, maxLength } = schema;
  // Code points never outnumber code units, and a non-empty string holds at
  // least one, so most strings need no counting.
  const counted = (maxLength !== undefined && text.length > maxLength) || (minLength !== undefined && minLength > 1);
  const length = counted ? codePointLength(text) : text.length;
  if (minLength !== undefined && length < minLength) return `must NOT have fewer than ${minLength} characters`;
  if (maxLength !== undefined && length > maxLength) return `must NOT have more than ${maxLength} characters`;
  return undefined;
}
