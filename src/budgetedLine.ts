import { sliceWhole, truncationMarker } from './logStringBounds';

/** Room kept for the closing `,"_truncated":N}`. */
const TAIL_BYTES = 32;
/** No member fits in less (`,"a":1` is 6 bytes): past this, members are counted, not made. */
const MIN_MEMBER_BYTES = 6;

/**
 * The text of one JSON line made member by member within a byte limit. Its head (the members
 * sightline puts first) is always kept, its message cut to fit if it must (a head too long
 * even without its message, from a `service` name of kilobytes, is kept as it is); after it, each
 * member that would take the line past the limit is left out (a later, shorter one may still
 * fit) and the line ends with `"_truncated": <members left out>`. Bytes are only counted once
 * the line could be over the limit at 3 bytes a character: short lines cost a comparison.
 */
export class BudgetedLine {
  private text: string;
  /** UTF-8 bytes of `text`, or -1 while not counted. */
  private bytes = -1;
  private readonly budget: number;
  private omitted = 0;
  private messageCut = false;

  /**
   * The head is `before` + the message as a JSON string + `after`; the message is cut to fit
   * when the head alone would be over the limit.
   */
  constructor(before: string, message: string, after: string, maxBytes: number) {
    this.budget = maxBytes - TAIL_BYTES;
    const messageJson = JSON.stringify(message);
    this.text = before + messageJson + after;
    if (3 * this.text.length <= this.budget) return;
    this.bytes = Buffer.byteLength(this.text);
    if (this.bytes <= this.budget) return;
    const rest = this.bytes - Buffer.byteLength(messageJson);
    this.text = before + fitJsonString(message, this.budget - rest) + after;
    this.bytes = Buffer.byteLength(this.text);
    this.messageCut = true;
  }

  /** False once no member can fit: the caller may skip making the rest and call `leaveOut()` for each. */
  get hasRoom(): boolean {
    return this.bytes < 0 || this.bytes + MIN_MEMBER_BYTES <= this.budget;
  }

  /** Appends `,"key":value` (or nothing, for `''`) if it fits. */
  add(member: string): void {
    if (member === '') return;
    if (this.bytes < 0) {
      if (3 * (this.text.length + member.length) <= this.budget) {
        this.text += member;
        return;
      }
      this.bytes = Buffer.byteLength(this.text);
    }
    const size = Buffer.byteLength(member);
    if (this.bytes + size > this.budget) {
      this.omitted += 1;
      return;
    }
    this.text += member;
    this.bytes += size;
  }

  /** Counts a member that was not made because there is no room. */
  leaveOut(): void {
    this.omitted += 1;
  }

  /** True when a member was left out or the message cut. */
  get truncated(): boolean {
    return this.omitted > 0 || this.messageCut;
  }

  /** The finished JSON text. */
  finish(): string {
    return this.omitted > 0 ? `${this.text},"_truncated":${this.omitted}}` : `${this.text}}`;
  }
}

/** `text` as a JSON string of at most `maxBytes` bytes: cut and marked when it must be, `""` when not even the marker fits. */
function fitJsonString(text: string, maxBytes: number): string {
  const whole = JSON.stringify(text);
  const size = Buffer.byteLength(whole);
  if (size <= maxBytes) return whole;
  let keep = Math.floor((text.length * maxBytes) / size);
  for (;;) {
    const kept = sliceWhole(text, keep);
    const candidate = JSON.stringify(kept + truncationMarker(text.length - kept.length, text.length));
    if (Buffer.byteLength(candidate) <= maxBytes) return candidate;
    if (keep === 0) return '""';
    keep = Math.floor(keep * 0.9);
  }
}
