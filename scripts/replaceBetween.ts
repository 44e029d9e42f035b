/** `text` with what lies between two marker lines replaced (markers kept); throws when they are missing. */
export function replaceBetween(text: string, start: string, end: string, content: string): string {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1 || to < from) {
    throw new Error(`no generated section between ${start} and ${end}`);
  }
  return `${text.slice(0, from)}${start}\n${content}\n${text.slice(to)}`;
}
