/**
 * Codec for W3C Trace Context Level 1 (https://www.w3.org/TR/trace-context/):
 * the `traceparent` and `tracestate` HTTP headers, plus trace-id / span-id
 * generation.
 *
 * This runs on every HTTP request, so parsing is done with `charCodeAt`
 * checks (no regular expressions, no intermediate arrays) and ids are taken
 * from a pooled random buffer that is refilled with `crypto.randomFillSync`.
 */
import { randomFillSync } from 'node:crypto';

/** The `sampled` bit of `trace-flags` (section "Sampled flag"). */
export const TRACE_FLAG_SAMPLED = 0x01;

export interface TraceParent {
  /** Two lowercase hex chars as received, e.g. '00'. */
  readonly version: string;
  /** 32 lowercase hex chars, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex chars, not all zero. */
  readonly parentId: string;
  /** 0..255, every bit as received (mask with TRACE_FLAG_SAMPLED to read the sampled flag). */
  readonly traceFlags: number;
}

// ---------------------------------------------------------------------------
// Character classes
// ---------------------------------------------------------------------------

const SPACE = 0x20;
const TAB = 0x09;
const DASH = 0x2d;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const AT = 0x40;

/** Length of a version 00 traceparent: 2 + 1 + 32 + 1 + 16 + 1 + 2. */
const TRACEPARENT_LENGTH = 55;
const TRACE_ID_LENGTH = 32;
const SPAN_ID_LENGTH = 16;

/** Value of a lowercase hex digit (HEXDIGLC), or -1 if `c` is anything else. */
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30; // 0-9
  if (c >= 0x61 && c <= 0x66) return c - 0x57; // a-f
  return -1;
}

/** OWS (RFC 7230 section 3.2.3): space or horizontal tab. */
function isOws(c: number): boolean {
  return c === SPACE || c === TAB;
}

/** lcalpha = %x61-7A */
function isLcAlpha(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** lcalpha / DIGIT / "_" / "-" / "*" / "/" */
function isKeyChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f || // _
    c === DASH ||
    c === 0x2a || // *
    c === 0x2f // /
  );
}

/**
 * True when `s[start, start + length)` is lowercase hex and not all zeros.
 * The caller guarantees the range lies inside the string.
 */
function isLowerHexNotZero(s: string, start: number, length: number): boolean {
  let nonZero = 0;
  for (let i = start, end = start + length; i < end; i++) {
    const v = hexValue(s.charCodeAt(i));
    if (v < 0) return false;
    nonZero |= v;
  }
  return nonZero !== 0;
}

// ---------------------------------------------------------------------------
// traceparent
// ---------------------------------------------------------------------------

/**
 * Returns null for anything invalid (caller then restarts the trace).
 * Accepts string | string[] | undefined (a string[] means the header was sent
 * more than once: invalid). Trim surrounding spaces/tabs.
 *
 * A one-element array is the header sent once (e.g. `req.headersDistinct`)
 * and is parsed like a plain string; two or more elements are invalid.
 */
export function parseTraceparent(header: string | readonly string[] | undefined): TraceParent | null {
  let h: string;
  if (typeof header === 'string') {
    h = header;
  } else if (Array.isArray(header) && header.length === 1 && typeof header[0] === 'string') {
    h = header[0];
  } else {
    return null;
  }

  // Trim OWS without allocating.
  let start = 0;
  let end = h.length;
  while (start < end && isOws(h.charCodeAt(start))) start++;
  while (end > start && isOws(h.charCodeAt(end - 1))) end--;
  const length = end - start;

  // Every version needs at least the 55 characters of the version 00 layout
  // ("Versioning of traceparent": shorter than 55 characters -> restart).
  if (length < TRACEPARENT_LENGTH) return null;

  // version = 2HEXDIGLC followed by "-"; ff is forbidden.
  const v0 = hexValue(h.charCodeAt(start));
  const v1 = hexValue(h.charCodeAt(start + 1));
  if (v0 < 0 || v1 < 0 || h.charCodeAt(start + 2) !== DASH) return null;
  const version = (v0 << 4) | v1;
  if (version === 0xff) return null;
  if (version === 0) {
    // Version 00: exactly `vv-<32>-<16>-<2>`, nothing after.
    if (length !== TRACEPARENT_LENGTH) return null;
  } else if (length > TRACEPARENT_LENGTH && h.charCodeAt(start + TRACEPARENT_LENGTH) !== DASH) {
    // Higher version: the flags must be at the end of the string or followed by a dash.
    return null;
  }

  // trace-id = 32HEXDIGLC, all zeroes forbidden, followed by "-".
  if (!isLowerHexNotZero(h, start + 3, TRACE_ID_LENGTH) || h.charCodeAt(start + 35) !== DASH) return null;
  // parent-id = 16HEXDIGLC, all zeroes forbidden, followed by "-".
  if (!isLowerHexNotZero(h, start + 36, SPAN_ID_LENGTH) || h.charCodeAt(start + 52) !== DASH) return null;
  // trace-flags = 2HEXDIGLC
  const f0 = hexValue(h.charCodeAt(start + 53));
  const f1 = hexValue(h.charCodeAt(start + 54));
  if (f0 < 0 || f1 < 0) return null;

  return {
    version: version === 0 ? '00' : h.slice(start, start + 2),
    traceId: h.slice(start + 3, start + 35),
    parentId: h.slice(start + 36, start + 52),
    traceFlags: (f0 << 4) | f1,
  };
}

/**
 * Always emits version 00: `00-<traceId>-<spanId>-<flags as 2 lowercase hex>`.
 *
 * Per "Other Flags" (version 00 defines only `sampled`; "Vendors MUST set
 * those to zero") every bit except TRACE_FLAG_SAMPLED is cleared, so the
 * flags field is always `00` or `01`. The ids are not re-validated here (hot
 * path): pass ids from the generators below or from parseTraceparent, or check
 * them with isValidTraceId / isValidSpanId.
 */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return '00-' + traceId + '-' + spanId + ((traceFlags & TRACE_FLAG_SAMPLED) !== 0 ? '-01' : '-00');
}

// ---------------------------------------------------------------------------
// tracestate
// ---------------------------------------------------------------------------

const MAX_TRACESTATE_MEMBERS = 32;
const MAX_SIMPLE_KEY_LENGTH = 256; // lcalpha 0*255(...)
const MAX_TENANT_ID_LENGTH = 241; // (lcalpha / DIGIT) 0*240(...)
const MAX_SYSTEM_ID_LENGTH = 14; // lcalpha 0*13(...)
const MAX_VALUE_LENGTH = 256; // 0*255(chr) nblk-chr

/**
 * key = simple-key / multi-tenant-key
 * simple-key       = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
 * multi-tenant-key = tenant-id "@" system-id
 * tenant-id        = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
 * system-id        = lcalpha 0*13( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
 */
function isValidKey(s: string, start: number, end: number): boolean {
  const length = end - start;
  if (length <= 0) return false;
  const first = s.charCodeAt(start);
  let at = -1;
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === AT) {
      if (at !== -1) return false; // at most one "@"
      at = i;
    } else if (!isKeyChar(c)) {
      return false;
    }
  }
  if (at === -1) {
    return isLcAlpha(first) && length <= MAX_SIMPLE_KEY_LENGTH;
  }
  const tenantLength = at - start;
  const systemLength = end - at - 1;
  return (
    (isLcAlpha(first) || isDigit(first)) &&
    tenantLength <= MAX_TENANT_ID_LENGTH &&
    systemLength >= 1 &&
    systemLength <= MAX_SYSTEM_ID_LENGTH &&
    isLcAlpha(s.charCodeAt(at + 1))
  );
}

/**
 * value    = 0*255(chr) nblk-chr
 * nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
 * chr      = %x20 / nblk-chr
 *
 * The caller has already removed trailing OWS (spaces are OWS there: "all
 * trailing spaces are considered to be optional whitespace"), so the last char
 * is never a space; a value of spaces only is trimmed to empty and fails the
 * length check.
 */
function isValidValue(s: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 1 || length > MAX_VALUE_LENGTH) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === COMMA || c === EQUALS) return false;
  }
  return true;
}

/**
 * Combines repeated headers (string[] or comma-joined), validates every
 * list-member per the spec grammar, returns the normalised header value
 * (members joined by ',' without spaces, empty members dropped), or undefined
 * when the result is empty OR when anything is invalid (the whole tracestate
 * is dropped): bad key, bad value, duplicate key, more than 32 members.
 *
 * Empty / whitespace-only list members are skipped and do not count towards
 * the 32-member limit. Leading spaces of a value are part of the value and are
 * kept; trailing spaces are OWS and are removed.
 */
export function parseTracestate(header: string | readonly string[] | undefined): string | undefined {
  let s: string;
  if (typeof header === 'string') {
    s = header;
  } else if (Array.isArray(header)) {
    // RFC 7230 section 3.2.2: multiple fields combine into one comma-separated list.
    s = header.length === 1 ? (header[0] as string) : header.join(',');
  } else {
    return undefined;
  }
  if (typeof s !== 'string') return undefined;

  const length = s.length;
  // Keys seen so far; at most 32, so a linear scan beats a Set here.
  const keys: string[] = [];
  // While every member so far is non-empty and free of OWS, s[0, cleanEnd) is
  // already the normalised output and nothing is copied; `out` is only built
  // once the first member needing normalisation is seen.
  let normalised = true;
  let cleanEnd = 0;
  let out = '';

  let memberStart = 0;
  while (memberStart <= length) {
    let memberEnd = s.indexOf(',', memberStart);
    if (memberEnd === -1) memberEnd = length;

    // Trim OWS around the list-member.
    let start = memberStart;
    let end = memberEnd;
    while (start < end && isOws(s.charCodeAt(start))) start++;
    while (end > start && isOws(s.charCodeAt(end - 1))) end--;

    if (start !== memberStart || end !== memberEnd || start === end) {
      if (normalised) {
        normalised = false;
        out = s.slice(0, cleanEnd);
      }
    }

    // An empty or whitespace-only list-member is allowed and skipped.
    if (start !== end) {
      if (keys.length === MAX_TRACESTATE_MEMBERS) return undefined;

      const eq = s.indexOf('=', start);
      if (eq === -1 || eq >= end) return undefined;
      if (!isValidKey(s, start, eq) || !isValidValue(s, eq + 1, end)) return undefined;

      const key = s.slice(start, eq);
      if (keys.includes(key)) return undefined;
      keys.push(key);

      if (normalised) {
        cleanEnd = end;
      } else {
        out = out.length === 0 ? s.slice(start, end) : out + ',' + s.slice(start, end);
      }
    }
    memberStart = memberEnd + 1;
  }

  if (keys.length === 0) return undefined;
  return normalised ? s : out;
}

// ---------------------------------------------------------------------------
// Id generation
// ---------------------------------------------------------------------------

/** 8 KiB of random bytes: 512 trace ids or 1024 span ids per `randomFillSync` call. */
const POOL_SIZE = 8192;
const pool = Buffer.allocUnsafeSlow(POOL_SIZE);
let poolOffset = POOL_SIZE; // empty: filled on first use

/** Reserves `n` random bytes in the pool and returns their offset. */
function takeRandomBytes(n: number): number {
  if (poolOffset + n > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const offset = poolOffset;
  poolOffset += n;
  return offset;
}

function randomNonZeroHex(byteLength: number): string {
  for (;;) {
    const offset = takeRandomBytes(byteLength);
    for (let i = offset, end = offset + byteLength; i < end; i++) {
      if (pool[i] !== 0) return pool.toString('hex', offset, end);
    }
    // All zero bytes (probability 2^-64 or less): invalid per spec, draw again.
  }
}

/** 32 lowercase hex chars, never all zeros. */
export function randomTraceId(): string {
  return randomNonZeroHex(TRACE_ID_LENGTH / 2);
}

/** 16 lowercase hex chars, never all zeros. */
export function randomSpanId(): string {
  return randomNonZeroHex(SPAN_ID_LENGTH / 2);
}

/** 32 lowercase hex chars, not all zero. */
export function isValidTraceId(id: string): boolean {
  return typeof id === 'string' && id.length === TRACE_ID_LENGTH && isLowerHexNotZero(id, 0, TRACE_ID_LENGTH);
}

/** 16 lowercase hex chars, not all zero. */
export function isValidSpanId(id: string): boolean {
  return typeof id === 'string' && id.length === SPAN_ID_LENGTH && isLowerHexNotZero(id, 0, SPAN_ID_LENGTH);
}
