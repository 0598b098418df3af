import { fromUtf8 } from "../bytes.ts";
import { MacaroonFormatError } from "./errors.ts";
import type { Caveat, Macaroon } from "./types.ts";

/**
 * Macaroon V2 binary format (libmacaroons / go-macaroon / js-macaroon):
 *
 *   0x02 version
 *   [01 len location] 02 len identifier 00            header
 *   per caveat: [01 len location] 02 len id [04 len vid] 00
 *   00                                                end of caveats
 *   06 20 <32-byte signature>                         nothing follows
 *
 * A field is `varint(type) varint(len) bytes` with unsigned LEB128 varints.
 * Within a section, field types strictly increase (as in the reference decoder).
 */
const VERSION = 2;
const EOS = 0;
const LOCATION = 1;
const IDENTIFIER = 2;
const VERIFICATION_ID = 4;
const SIGNATURE = 6;
const SIGNATURE_LENGTH = 32;

export interface DecodeLimits {
  /** Total serialized size. */
  readonly maxBytes: number;
  readonly maxCaveats: number;
}

/** Generous for L402 tokens (a fresh one is ~200 bytes) but bounded. */
export const DEFAULT_LIMITS: DecodeLimits = { maxBytes: 4096, maxCaveats: 64 };

const utf8Encoder = new TextEncoder();

/** Decodes a V2 binary macaroon; throws MacaroonFormatError saying what is wrong. */
export function decodeMacaroon(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): Macaroon {
  if (bytes.length > limits.maxBytes) {
    throw new MacaroonFormatError(`macaroon is ${bytes.length} bytes, limit is ${limits.maxBytes}`);
  }
  const reader = new Reader(bytes);
  const version = reader.byte("version");
  if (version !== VERSION) {
    throw new MacaroonFormatError(`unsupported macaroon version ${version} (only V2 binary is accepted)`);
  }

  const header = readSection(reader, HEADER_TYPES, "header");
  const identifier = header?.identifier;
  if (identifier === undefined) throw new MacaroonFormatError("macaroon has no identifier");
  const location = optionalText(header?.location, "location");

  const caveats: Caveat[] = [];
  for (;;) {
    const section = readSection(reader, CAVEAT_TYPES, "caveat");
    if (section === undefined) break;
    if (caveats.length === limits.maxCaveats) {
      throw new MacaroonFormatError(`more than ${limits.maxCaveats} caveats`);
    }
    caveats.push(toCaveat(section));
  }

  const type = reader.varint("field type");
  const signature = reader.value(type);
  if (type !== SIGNATURE) throw new MacaroonFormatError(`expected the signature field, found type ${type}`);
  if (signature.length !== SIGNATURE_LENGTH) {
    throw new MacaroonFormatError(`signature is ${signature.length} bytes, expected ${SIGNATURE_LENGTH}`);
  }
  if (!reader.done) throw new MacaroonFormatError(`${reader.remaining} unexpected bytes after the signature`);
  return location === undefined ? { identifier, caveats, signature } : { location, identifier, caveats, signature };
}

/** Encodes a macaroon in V2 binary form. */
export function encodeMacaroon(macaroon: Macaroon): Uint8Array {
  if (macaroon.signature.length !== SIGNATURE_LENGTH) {
    throw new MacaroonFormatError(`signature must be ${SIGNATURE_LENGTH} bytes`);
  }
  const out = new Writer();
  out.byte(VERSION);
  if (macaroon.location !== undefined) out.field(LOCATION, utf8Encoder.encode(macaroon.location));
  out.field(IDENTIFIER, macaroon.identifier);
  out.byte(EOS);
  for (const caveat of macaroon.caveats) {
    if (caveat.location !== undefined) out.field(LOCATION, utf8Encoder.encode(caveat.location));
    out.field(IDENTIFIER, caveat.id);
    if (caveat.verificationId !== undefined) out.field(VERIFICATION_ID, caveat.verificationId);
    out.byte(EOS);
  }
  out.byte(EOS);
  out.field(SIGNATURE, macaroon.signature);
  return out.finish();
}

function toCaveat(section: Section): Caveat {
  const id = section.identifier;
  if (id === undefined) throw new MacaroonFormatError("caveat has no identifier");
  const location = optionalText(section.location, "caveat location");
  const { verificationId } = section;
  if (verificationId === undefined) {
    if (location !== undefined) throw new MacaroonFormatError("first-party caveat must not have a location");
    return { id };
  }
  return location === undefined ? { id, verificationId } : { id, location, verificationId };
}

/** A section's fields, by type (no Map: one per section cost more than the rest of decoding). */
interface Section {
  readonly location: Uint8Array | undefined;
  readonly identifier: Uint8Array | undefined;
  readonly verificationId: Uint8Array | undefined;
}

const HEADER_TYPES = [LOCATION, IDENTIFIER];
const CAVEAT_TYPES = [LOCATION, IDENTIFIER, VERIFICATION_ID];

/** Reads fields up to an EOS byte; types must strictly increase and be `allowed`. Undefined for a bare EOS. */
function readSection(reader: Reader, allowed: readonly number[], what: string): Section | undefined {
  let location: Uint8Array | undefined;
  let identifier: Uint8Array | undefined;
  let verificationId: Uint8Array | undefined;
  let last = EOS;
  for (;;) {
    const type = reader.varint("field type");
    if (type === EOS) break;
    if (type <= last) throw new MacaroonFormatError(`${what} field types out of order (${type} after ${last})`);
    const value = reader.value(type);
    if (!allowed.includes(type)) throw new MacaroonFormatError(`unexpected field type ${type} in ${what}`);
    if (type === LOCATION) location = value;
    else if (type === IDENTIFIER) identifier = value;
    else if (type === VERIFICATION_ID) verificationId = value;
    else throw new MacaroonFormatError(`unexpected field type ${type} in ${what}`);
    last = type;
  }
  return last === EOS ? undefined : { location, identifier, verificationId };
}

function optionalText(bytes: Uint8Array | undefined, what: string): string | undefined {
  if (bytes === undefined) return undefined;
  const text = fromUtf8(bytes);
  if (text === undefined) throw new MacaroonFormatError(`${what} is not valid UTF-8`);
  return text;
}

class Reader {
  private offset = 0;
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  get done(): boolean {
    return this.offset === this.bytes.length;
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  byte(what: string): number {
    const value = this.bytes[this.offset];
    if (value === undefined) throw new MacaroonFormatError(`truncated: expected ${what}`);
    this.offset++;
    return value;
  }

  /** Unsigned LEB128, capped well below 2^31 so lengths stay exact integers. */
  varint(what: string): number {
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = this.byte(what);
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new MacaroonFormatError(`${what} varint too long`);
  }

  /** A field's value, after its type (read with `varint`): its length, then that many bytes. */
  value(type: number): Uint8Array {
    const length = this.varint("field length");
    if (length > this.remaining) {
      throw new MacaroonFormatError(`truncated: field type ${type} claims ${length} bytes, ${this.remaining} left`);
    }
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
}

class Writer {
  private readonly chunks: number[] = [];

  byte(value: number): void {
    this.chunks.push(value);
  }

  field(type: number, value: Uint8Array): void {
    this.varint(type);
    this.varint(value.length);
    for (const b of value) this.chunks.push(b);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  private varint(value: number): void {
    let rest = value;
    while (rest >= 0x80) {
      this.chunks.push((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    this.chunks.push(rest);
  }
}
