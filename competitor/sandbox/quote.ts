import { preview } from './protocol';

/** A value for an error message: JSON where possible, cut short. */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? 'an array' : typeof value;
  }
  return preview(text, 100);
}
